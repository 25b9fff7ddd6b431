# Install rules: libqgemm.a, the public headers, a CMake package and a pkg-config file.
#
#   cmake --install build [--prefix DIR]
#
#   <prefix>/include/qgemm/qgemm.h, qgemm.hpp
#   <prefix>/<libdir>/libqgemm.a
#   <prefix>/<libdir>/cmake/qgemm/qgemmConfig.cmake, qgemmConfigVersion.cmake, qgemmTargets*.cmake
#   <prefix>/<libdir>/pkgconfig/qgemm.pc
#
# Users: find_package(qgemm CONFIG REQUIRED) + target_link_libraries(app PRIVATE qgemm::qgemm),
# or `pkg-config --cflags --libs qgemm`. Both are relocatable: they locate the prefix from their
# own path, so `--prefix` at install time (or moving the tree) needs no reconfiguration.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(QGEMM_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/qgemm" CACHE STRING
    "Where qgemm's CMake package goes, relative to the install prefix")
set(QGEMM_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig" CACHE STRING
    "Where qgemm.pc goes, relative to the install prefix")

install(TARGETS qgemm EXPORT qgemmTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/qgemm
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")
install(EXPORT qgemmTargets
  NAMESPACE qgemm::
  FILE qgemmTargets.cmake
  DESTINATION ${QGEMM_INSTALL_CMAKEDIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/qgemmConfig.cmake.in
  ${PROJECT_BINARY_DIR}/qgemmConfig.cmake
  INSTALL_DESTINATION ${QGEMM_INSTALL_CMAKEDIR})
# 0.x: a minor version may change the API, so only the same major.minor satisfies a request.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/qgemmConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/qgemmConfig.cmake ${PROJECT_BINARY_DIR}/qgemmConfigVersion.cmake
  DESTINATION ${QGEMM_INSTALL_CMAKEDIR})

# qgemm.pc. libqgemm.a is C++ and static: a C program linked with `cc` needs the C++ runtime and
# libm named explicitly, and OpenMP's flags when the library uses it, so they go into Libs (there
# is no shared library for Libs.private to be the static half of).
set(QGEMM_PC_LIBS "-lstdc++ -lm")
set(QGEMM_PC_CFLAGS "")
if(QGEMM_USES_OPENMP)
  find_package(OpenMP REQUIRED COMPONENTS CXX)
  string(PREPEND QGEMM_PC_LIBS "${OpenMP_CXX_FLAGS} ")
endif()
# The prefix, relative to the .pc file (${pcfiledir}), so the tree can be installed anywhere.
if(IS_ABSOLUTE "${QGEMM_INSTALL_PKGCONFIGDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}"
   OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  message(FATAL_ERROR "qgemm: give CMAKE_INSTALL_LIBDIR, CMAKE_INSTALL_INCLUDEDIR and "
                      "QGEMM_INSTALL_PKGCONFIGDIR relative to the install prefix")
endif()
file(RELATIVE_PATH QGEMM_PC_PREFIX_FROM_PCDIR "/prefix/${QGEMM_INSTALL_PKGCONFIGDIR}" "/prefix")
string(REGEX REPLACE "/$" "" QGEMM_PC_PREFIX_FROM_PCDIR "${QGEMM_PC_PREFIX_FROM_PCDIR}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/qgemm.pc.in ${PROJECT_BINARY_DIR}/qgemm.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/qgemm.pc DESTINATION ${QGEMM_INSTALL_PKGCONFIGDIR})
