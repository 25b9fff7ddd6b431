# Fails unless README.md contains each of FILES verbatim (so README's examples are the ones the
# tests build and run).
file(READ "${README}" readme)
foreach(f IN LISTS FILES)
  file(READ "${f}" text)
  string(FIND "${readme}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "README.md does not quote ${f} verbatim; paste the file's current text")
  endif()
endforeach()
