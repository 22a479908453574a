# Shared CMake helpers for mcpsim targets.

# Project code compiles warning-clean: -Wall -Wextra -Werror, sources rooted at
# the repository top (so includes read "core/status.h", "sim/...").
function(mcpsim_target target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR})
  else()
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  endif()
endfunction()

# mcpsim_test(<name> SOURCES <files...> LIBS <targets...> [LABELS <labels...>] [SERIAL]
#             [PROPERTIES <ctest property> <value> ...])
# One GoogleTest/RapidCheck executable; every TEST becomes one ctest entry.
# SERIAL: its tests run alone (ctest RUN_SERIAL), for tests that load every core.
# PROPERTIES: more ctest properties for every entry (e.g. FIXTURES_REQUIRED).
# NOTE: with PRE_TEST discovery (CMake 3.25) several LABELS reach
# set_tests_properties unquoted and shift the properties after them; give a
# test with PROPERTIES one label.
function(mcpsim_test name)
  cmake_parse_arguments(T "SERIAL" "" "SOURCES;LIBS;LABELS;PROPERTIES" ${ARGN})
  set(_serial FALSE)
  if(T_SERIAL)
    set(_serial TRUE)
  endif()
  add_executable(${name} ${T_SOURCES})
  mcpsim_target(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} rapidcheck_gtest rapidcheck GTest::gtest GTest::gtest_main)
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if("unit" IN_LIST T_LABELS)
    set_property(GLOBAL APPEND PROPERTY MCPSIM_UNIT_TESTS ${name})
  endif()
  # PRE_TEST discovery flattens PROPERTIES into one list (CMake 3.25 drops
  # escaped separators), so a label list "net;cli" there would shift every
  # later key/value pair (the tests lost their TIMEOUT and second label).
  # The labels are set by a script ctest includes after the discovered tests.
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
                       PROPERTIES TIMEOUT 600 RUN_SERIAL ${_serial}
                       ${T_PROPERTIES}
                       WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set(_labels_file "${CMAKE_CURRENT_BINARY_DIR}/${name}_labels.cmake")
  file(WRITE "${_labels_file}"
       "if(${name}_TESTS)\n  set_tests_properties(\${${name}_TESTS} PROPERTIES LABELS \"${T_LABELS}\")\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${_labels_file}")
endfunction()
