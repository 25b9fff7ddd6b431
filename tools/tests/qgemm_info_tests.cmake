# qgemm-info's tests (included by tools/CMakeLists.txt). qgemm_info_check.cmake runs the tool and
# checks its output; see the CASE values there.
find_program(QGEMM_PYTHON3 python3)
set(qgemm_info_check ${CMAKE_CURRENT_SOURCE_DIR}/tests/qgemm_info_check.cmake)
foreach(case plain json isa_scalar bad_isa bad_flag help)
  add_test(NAME qgemm_info_${case}
    COMMAND ${CMAKE_COMMAND} -DCASE=${case} -DTOOL=$<TARGET_FILE:qgemm-info>
            -DPYTHON3=${QGEMM_PYTHON3} -P ${qgemm_info_check})
endforeach()

# docs/kernels.md has a row with the real tile and blocks of every kernel built into the library.
add_test(NAME docs_kernel_table
  COMMAND ${CMAKE_COMMAND} -DCASE=docs_kernel_table -DTOOL=$<TARGET_FILE:qgemm-info>
          -DDOC=${PROJECT_SOURCE_DIR}/docs/kernels.md -P ${qgemm_info_check})
