# citycode_module(<name> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...]
#                 [TESTS ...] [TEST_DEPS ...])
#
# Builds the module in this folder as the static library citycode::<name>,
# includes rooted at src/. Its DEPS line is the module's place in the layer
# graph of DESIGN.md. TESTS become one GoogleTest binary <name>_test,
# registered with CTest, which may see the module's internals; nothing else
# may (citycode_check_boundary).
function(citycode_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS;TESTS;TEST_DEPS" ${ARGN})
  add_library(citycode_${name} STATIC ${M_SOURCES})
  add_library(citycode::${name} ALIAS citycode_${name})
  target_include_directories(citycode_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(citycode_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  file(RELATIVE_PATH own ${PROJECT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR})
  file(GLOB headers CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.h
       ${CMAKE_CURRENT_SOURCE_DIR}/internal/*.h)
  citycode_check_boundary(citycode_${name} "${own}" ${M_SOURCES} ${headers})
  if(M_TESTS AND CITYCODE_BUILD_TESTS)
    citycode_test(${name}_test SOURCES ${M_TESTS} DEPS citycode::${name} ${M_TEST_DEPS}
                  INTERNALS_OF ${own})
  endif()
endfunction()

# citycode_test(<binary> SOURCES ... DEPS ... [INTERNALS_OF <module dir>]
#               [PROPERTIES <ctest properties of each test>]):
# one GoogleTest binary whose tests CTest discovers; it finds ../shared/vectors
# through CITYCODE_VECTORS. Only a module's own tests see its internals.
function(citycode_test binary)
  cmake_parse_arguments(T "" "INTERNALS_OF" "SOURCES;DEPS;PROPERTIES" ${ARGN})
  add_executable(${binary} ${T_SOURCES})
  # The tests' own code is built unoptimised: it is half of a build's compile
  # time, and optimising it buys nothing. The code under test keeps its flags.
  target_compile_options(${binary} PRIVATE -O0)
  target_link_libraries(${binary} PRIVATE ${T_DEPS} GTest::gmock GTest::gtest_main)
  target_include_directories(${binary} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_compile_definitions(${binary} PRIVATE
    CITYCODE_VECTORS_DEFAULT="${CITYCODE_VECTORS_DIR}")
  citycode_check_boundary(${binary} "${T_INTERNALS_OF}" ${T_SOURCES})
  gtest_discover_tests(${binary}
    DISCOVERY_MODE PRE_TEST
    TEST_PREFIX "${binary}."
    PROPERTIES ENVIRONMENT "CITYCODE_VECTORS=${CITYCODE_VECTORS_DIR}" ${T_PROPERTIES})
endfunction()

# citycode_check_boundary(<target> <own module dir or ""> <files...>): before
# <target> builds, fails the build if any of the files includes another
# module's internal/ headers (cmake/check_includes.cmake). Runs again
# whenever one of the files changes.
function(citycode_check_boundary target own)
  set(files "")
  foreach(file ${ARGN})
    get_filename_component(path ${file} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    list(APPEND files ${path})
  endforeach()
  string(REPLACE ";" "|" joined "${files}")
  set(stamp ${CMAKE_CURRENT_BINARY_DIR}/${target}.boundary)
  add_custom_command(OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -DOWN=${own} -DFILES=${joined} -DSTAMP=${stamp}
            -P ${PROJECT_SOURCE_DIR}/cmake/check_includes.cmake
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/check_includes.cmake
    COMMENT "Checking that ${target} includes no other module's internals"
    VERBATIM)
  add_custom_target(${target}_boundary DEPENDS ${stamp})
  add_dependencies(${target} ${target}_boundary)
endfunction()
