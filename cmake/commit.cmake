# Sets DATAGROK_COMMIT to the commit the tree is built from, for `datagrok --version`.
# Taken from git at configure time; -DDATAGROK_COMMIT=<id> overrides it (a build from a
# source tarball), and outside a git checkout it is "unknown". CMake re-configures when
# HEAD moves (a commit, a checkout, a rebase), so the id does not go stale in a build dir.
if(NOT DEFINED DATAGROK_COMMIT)
  set(DATAGROK_COMMIT unknown)
  find_package(Git QUIET)
  if(GIT_FOUND)
    execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
                    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                    OUTPUT_VARIABLE _dg_head OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE _dg_rc ERROR_QUIET)
    if(_dg_rc EQUAL 0 AND _dg_head MATCHES "^[0-9a-f]+$")
      set(DATAGROK_COMMIT ${_dg_head})
      # HEAD, its reflog (written on every commit, even when the branch's ref is only in
      # packed-refs at configure time), the branch it names and packed-refs: any of them
      # moving changes the id
      execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --path-format=absolute
                              --git-path HEAD --git-path logs/HEAD --git-path packed-refs
                      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                      OUTPUT_VARIABLE _dg_paths OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      execute_process(COMMAND ${GIT_EXECUTABLE} symbolic-ref -q HEAD
                      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                      OUTPUT_VARIABLE _dg_ref OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(_dg_ref)
        execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --path-format=absolute --git-path ${_dg_ref}
                        WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                        OUTPUT_VARIABLE _dg_refpath OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
        string(APPEND _dg_paths "\n${_dg_refpath}")
      endif()
      string(REPLACE "\n" ";" _dg_paths "${_dg_paths}")
      foreach(p ${_dg_paths})
        if(EXISTS ${p})
          set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${p})
        endif()
      endforeach()
    endif()
  endif()
endif()
