# The module boundary, checked at build time (see citycode_check_boundary in
# CitycodeModule.cmake): a file may include another module's public headers
# only; `<module>/internal/…` is private to the files of <module>.
#
# cmake -DOWN=<module dir under src/, or empty> -DFILES=<a|b|…> -DSTAMP=<file>
#       -P check_includes.cmake
string(REPLACE "|" ";" files "${FILES}")
foreach(file IN LISTS files)
  file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"[^\"]*/internal/")
  foreach(line IN LISTS lines)
    string(REGEX MATCH "\"(.*)/internal/" match "${line}")
    if(NOT CMAKE_MATCH_1 STREQUAL OWN)
      message(FATAL_ERROR "${file}: ${line}\n  the internals of ${CMAKE_MATCH_1}/ are private to "
                          "that module; include its public headers")
    endif()
  endforeach()
endforeach()
file(TOUCH "${STAMP}")
