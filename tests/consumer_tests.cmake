# qgemm as a user gets it: installed (CMake package and pkg-config) and added as a subdirectory.
# tests/consumer/ is a small user project with a C and a C++ program; run_consumer.cmake builds
# and runs it. consumer_install installs this build into a fresh prefix inside the build tree
# (a fixture: the package and pkg-config tests need it and run after it).
set(qgemm_consumer_dir ${CMAKE_CURRENT_BINARY_DIR}/consumer)
set(qgemm_consumer_args
  -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
  -DBUILD_DIR=${PROJECT_BINARY_DIR}
  -DCONSUMER_SOURCE=${CMAKE_CURRENT_SOURCE_DIR}/consumer
  -DPREFIX=${qgemm_consumer_dir}/prefix
  -DLIBDIR=${CMAKE_INSTALL_LIBDIR}
  -DCMAKEDIR=${QGEMM_INSTALL_CMAKEDIR}
  -DPKGCONFIGDIR=${QGEMM_INSTALL_PKGCONFIGDIR}
  -DVERSION=${PROJECT_VERSION}
  -DBUILD_TYPE=$<CONFIG>
  -DGENERATOR=${CMAKE_GENERATOR}
  -DMAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}
  -DC_COMPILER=${CMAKE_C_COMPILER}
  -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
  "-DC_FLAGS=${CMAKE_C_FLAGS}"
  "-DCXX_FLAGS=${CMAKE_CXX_FLAGS}"
  "-DEXE_LINKER_FLAGS=${CMAKE_EXE_LINKER_FLAGS}")
set(qgemm_consumer_script ${CMAKE_CURRENT_SOURCE_DIR}/consumer/run_consumer.cmake)

if(QGEMM_INSTALL)
  add_test(NAME consumer_install
    COMMAND ${CMAKE_COMMAND} -DMODE=install ${qgemm_consumer_args} -P ${qgemm_consumer_script})
  set_tests_properties(consumer_install PROPERTIES FIXTURES_SETUP qgemm_installed)

  add_test(NAME consumer_find_package
    COMMAND ${CMAKE_COMMAND} -DMODE=package -DWORK=${qgemm_consumer_dir}/package
            ${qgemm_consumer_args} -P ${qgemm_consumer_script})
  set_tests_properties(consumer_find_package PROPERTIES
    FIXTURES_REQUIRED qgemm_installed TIMEOUT 300)

  find_program(QGEMM_PKG_CONFIG NAMES pkg-config pkgconf)
  if(QGEMM_PKG_CONFIG)
    add_test(NAME consumer_pkg_config
      COMMAND ${CMAKE_COMMAND} -DMODE=pkgconfig -DWORK=${qgemm_consumer_dir}/pkgconfig
              -DPKG_CONFIG=${QGEMM_PKG_CONFIG} ${qgemm_consumer_args} -P ${qgemm_consumer_script})
    set_tests_properties(consumer_pkg_config PROPERTIES
      FIXTURES_REQUIRED qgemm_installed TIMEOUT 300)
  else()
    message(WARNING "pkg-config not found (tools/setup-debian.sh installs it): "
                    "the consumer_pkg_config test is not registered")
  endif()
endif()

# Builds the whole library again inside the consumer, so it takes the longest.
add_test(NAME consumer_add_subdirectory
  COMMAND ${CMAKE_COMMAND} -DMODE=subdirectory -DWORK=${qgemm_consumer_dir}/subdirectory
          ${qgemm_consumer_args} -P ${qgemm_consumer_script})
set_tests_properties(consumer_add_subdirectory PROPERTIES TIMEOUT 900)
