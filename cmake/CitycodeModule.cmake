# citycode_module(<name> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...]
#                 [TESTS ...] [TEST_DEPS ...])
#
# Builds src/<name> as the static library citycode::<name>, includes rooted at
# src/. Its DEPS line is the module's place in the layer graph of DESIGN.md.
# TESTS become one GoogleTest binary <name>_test, registered with CTest.
function(citycode_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS;TESTS;TEST_DEPS" ${ARGN})
  add_library(citycode_${name} STATIC ${M_SOURCES})
  add_library(citycode::${name} ALIAS citycode_${name})
  target_include_directories(citycode_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(citycode_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  if(M_TESTS AND CITYCODE_BUILD_TESTS)
    citycode_test(${name}_test SOURCES ${M_TESTS} DEPS citycode::${name} ${M_TEST_DEPS})
  endif()
endfunction()

# citycode_test(<binary> SOURCES ... DEPS ...): one GoogleTest binary whose
# tests CTest discovers; it finds ../shared/vectors through CITYCODE_VECTORS.
function(citycode_test binary)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${binary} ${T_SOURCES})
  target_link_libraries(${binary} PRIVATE ${T_DEPS} GTest::gmock GTest::gtest_main)
  target_include_directories(${binary} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_compile_definitions(${binary} PRIVATE
    CITYCODE_VECTORS_DEFAULT="${CITYCODE_VECTORS_DIR}")
  gtest_discover_tests(${binary}
    DISCOVERY_MODE PRE_TEST
    TEST_PREFIX "${binary}."
    PROPERTIES ENVIRONMENT "CITYCODE_VECTORS=${CITYCODE_VECTORS_DIR}")
endfunction()
