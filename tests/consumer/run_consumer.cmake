# One step of the consumer tests (registered by tests/consumer_tests.cmake), run as
#   cmake -DMODE=<install|package|subdirectory|pkgconfig> -D... -P run_consumer.cmake
#
#   install       cmake --install the build tree into PREFIX (a fresh directory) and check that
#                 the library, the headers, the CMake package and qgemm.pc are there
#   package       configure tests/consumer against PREFIX (find_package), build, run
#   subdirectory  configure tests/consumer with qgemm added by add_subdirectory, build, run
#   pkgconfig     compile consumer.c with the C compiler and consumer.cpp with the C++ compiler,
#                 flags from `pkg-config --cflags --libs qgemm` (PKG_CONFIG_PATH = PREFIX's), run
#
# The consumers get the build's own compiler and CMAKE_<LANG>_FLAGS / linker flags (so under
# tools/test.sh's sanitizer build they are built and run with the same -fsanitize flags that
# libqgemm.a was compiled with, which an instrumented static library needs).
cmake_minimum_required(VERSION 3.25)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "${what} failed (${rc}):\n  ${cmd}\n${out}\n${err}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

# Runs the two consumer programs of a build and checks that each says ok.
function(run_consumers dir)
  foreach(program consumer_c consumer_cpp)
    run("${program}" ${dir}/${program})
    if(NOT run_output MATCHES "^${program}: ok \\(ukernel_[0-9]+x[0-9]+c[0-9]+__[a-z0-9]+\\)\n$")
      message(FATAL_ERROR "${program} printed: ${run_output}")
    endif()
    message(STATUS "${run_output}")
  endforeach()
endfunction()

function(cmake_consumer mode)
  file(REMOVE_RECURSE ${WORK})
  set(args -S ${CONSUMER_SOURCE} -B ${WORK} -G ${GENERATOR}
      -DQGEMM_CONSUMER_MODE=${mode}
      -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
      "-DCMAKE_C_FLAGS=${C_FLAGS}" "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
      "-DCMAKE_EXE_LINKER_FLAGS=${EXE_LINKER_FLAGS}")
  if(MAKE_PROGRAM)
    list(APPEND args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
  endif()
  if(BUILD_TYPE)
    list(APPEND args -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
  endif()
  list(APPEND args ${ARGN})
  run("configuring the consumer (${mode})" ${CMAKE_COMMAND} ${args})
  run("building the consumer (${mode})" ${CMAKE_COMMAND} --build ${WORK} --config ${BUILD_TYPE})
  run_consumers(${WORK})
endfunction()

if(MODE STREQUAL "install")
  file(REMOVE_RECURSE ${PREFIX})
  run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
      --config ${BUILD_TYPE})
  foreach(f include/qgemm/qgemm.h include/qgemm/qgemm.hpp ${LIBDIR}/libqgemm.a
            ${CMAKEDIR}/qgemmConfig.cmake ${CMAKEDIR}/qgemmConfigVersion.cmake
            ${CMAKEDIR}/qgemmTargets.cmake ${PKGCONFIGDIR}/qgemm.pc)
    if(NOT EXISTS ${PREFIX}/${f})
      message(FATAL_ERROR "cmake --install did not install ${f}")
    endif()
  endforeach()
  # Only the library: nothing of the tests, the benchmark or the reference.
  file(GLOB_RECURSE installed RELATIVE ${PREFIX} ${PREFIX}/*)
  foreach(f IN LISTS installed)
    if(f MATCHES "reference|gtest|test_|bench")
      message(FATAL_ERROR "cmake --install installed ${f}")
    endif()
  endforeach()
  string(REPLACE ";" "\n  " installed "${installed}")
  message(STATUS "installed into ${PREFIX}:\n  ${installed}")
elseif(MODE STREQUAL "package")
  cmake_consumer(package -DCMAKE_PREFIX_PATH=${PREFIX} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
elseif(MODE STREQUAL "subdirectory")
  cmake_consumer(subdirectory -DQGEMM_SOURCE_DIR=${SOURCE_DIR})
elseif(MODE STREQUAL "pkgconfig")
  file(REMOVE_RECURSE ${WORK})
  file(MAKE_DIRECTORY ${WORK})
  set(ENV{PKG_CONFIG_PATH} ${PREFIX}/${PKGCONFIGDIR})
  run("pkg-config --modversion" ${PKG_CONFIG} --modversion qgemm)
  if(NOT run_output STREQUAL "${VERSION}\n")
    message(FATAL_ERROR "pkg-config says qgemm ${run_output}, the project is ${VERSION}")
  endif()
  run("pkg-config" ${PKG_CONFIG} --cflags --libs qgemm)
  string(STRIP "${run_output}" pc_flags)
  message(STATUS "pkg-config --cflags --libs qgemm: ${pc_flags}")
  separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
  separate_arguments(c_flags UNIX_COMMAND "${C_FLAGS} ${EXE_LINKER_FLAGS}")
  separate_arguments(cxx_flags UNIX_COMMAND "${CXX_FLAGS} ${EXE_LINKER_FLAGS}")
  run("cc" ${C_COMPILER} -std=c99 -Wall -Wextra -pedantic -Werror ${c_flags}
      ${CONSUMER_SOURCE}/consumer.c -o ${WORK}/consumer_c ${pc_flags})
  run("c++" ${CXX_COMPILER} -std=c++17 -Wall -Wextra -pedantic -Werror ${cxx_flags}
      ${CONSUMER_SOURCE}/consumer.cpp -o ${WORK}/consumer_cpp ${pc_flags})
  run_consumers(${WORK})
else()
  message(FATAL_ERROR "MODE must be install, package, subdirectory or pkgconfig")
endif()
