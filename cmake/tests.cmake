# Registers every busted spec file as one CTest test, labelled by level:
#   unit: pure Lua under stock lua5.4;  host: inside the datagrok binary;  cli: spawns the binary.
find_program(LUA_INTERP NAMES lua5.4 REQUIRED)
find_program(BUSTED NAMES busted REQUIRED)

set(DG_TEST_ENV
  "DATAGROK_BIN=$<TARGET_FILE:datagrok>"
  "DATAGROK_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
  "LUA_PATH=${CMAKE_SOURCE_DIR}/lua/?.lua\;${CMAKE_SOURCE_DIR}/lua/?/init.lua\;${CMAKE_SOURCE_DIR}/tests/support/?.lua\;\;"
  "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")

foreach(level unit host cli)
  file(GLOB specs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/${level}/*_spec.lua)
  foreach(spec ${specs})
    get_filename_component(name ${spec} NAME_WE)
    string(REGEX REPLACE "_spec$" "" name "${name}")
    if(level STREQUAL "host")
      set(runner $<TARGET_FILE:datagrok> ${BUSTED})
    else()
      set(runner ${LUA_INTERP} ${BUSTED})
    endif()
    add_test(NAME ${level}.${name}
             COMMAND ${runner} -o TAP ${spec}
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(${level}.${name} PROPERTIES LABELS ${level} ENVIRONMENT "${DG_TEST_ENV}"
                         TIMEOUT 300)
  endforeach()
endforeach()

# The Debian package: built with cpack from this build tree, checked with dpkg-deb,
# unpacked into a scratch root and run (tests/package/run prints TAP). cpack brings the
# build tree up to date first (its preinstall step), so the test runs alone: a rebuild
# must not replace the binary under specs running beside it.
add_test(NAME package.deb COMMAND ${CMAKE_SOURCE_DIR}/tests/package/run ${CMAKE_BINARY_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(package.deb PROPERTIES LABELS package TIMEOUT 300 RUN_SERIAL TRUE)
