# Helpers that keep each component's build description to a few lines, so that
# components can be added in parallel without touching each other's files.

# udn_component(NAME <name> [LINKS <targets>...])
#   A static library udn_<name> from every .cpp under src/<name>/ (recursively).
function(udn_component)
    cmake_parse_arguments(ARG "" "NAME" "LINKS" ${ARGN})
    file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${ARG_NAME}/*.cpp)
    add_library(udn_${ARG_NAME} STATIC ${sources})
    target_include_directories(udn_${ARG_NAME} PUBLIC ${CMAKE_SOURCE_DIR}/src)
    target_link_libraries(udn_${ARG_NAME} PUBLIC ${ARG_LINKS})
endfunction()

# udn_unit_tests(NAME <name> [LINKS <targets>...])
#   One GoogleTest executable udn_<name>_tests from tests/unit/<name>/*.cpp, registered with CTest.
function(udn_unit_tests)
    cmake_parse_arguments(ARG "" "NAME" "LINKS" ${ARGN})
    file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/${ARG_NAME}/*.cpp)
    if(NOT sources)
        return()
    endif()
    add_executable(udn_${ARG_NAME}_tests ${sources})
    target_link_libraries(udn_${ARG_NAME}_tests PRIVATE ${ARG_LINKS} GTest::gtest GTest::gmock GTest::gtest_main)
    target_compile_definitions(udn_${ARG_NAME}_tests PRIVATE
        UDN_SOURCE_DIR="${CMAKE_SOURCE_DIR}" UDN_TESTDATA_DIR="${CMAKE_SOURCE_DIR}/tests/unit/${ARG_NAME}/data")
    include(GoogleTest)
    gtest_discover_tests(udn_${ARG_NAME}_tests DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120)
endfunction()

# udn_fuzz_target(NAME <name> SOURCE <file> [LINKS <targets>...])
function(udn_fuzz_target)
    cmake_parse_arguments(ARG "" "NAME;SOURCE" "LINKS" ${ARGN})
    add_executable(fuzz_${ARG_NAME} ${ARG_SOURCE})
    target_link_libraries(fuzz_${ARG_NAME} PRIVATE ${ARG_LINKS})
    target_link_options(fuzz_${ARG_NAME} PRIVATE -fsanitize=fuzzer)
endfunction()
