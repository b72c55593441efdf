# Run at every build (cmake -P) by the tunnelsim_build_commit target: writes the commit the
# binaries are built from, and the build's configuration, into a generated source. The file is
# rewritten only when a value changed (configure_file compares), so an unchanged commit does not
# recompile or relink anything. No git or no repository: empty values, never an error.
# In: SOURCE_DIR, OUTPUT, TEMPLATE, BUILD_TYPE, COMPILER_ID, COMPILER_VERSION, CXX_STANDARD.
find_program(GIT_PROGRAM git)
set(BUILD_COMMIT "")
set(BUILD_DESCRIBE "")
set(BUILD_DIRTY -1)
if(GIT_PROGRAM)
  execute_process(COMMAND ${GIT_PROGRAM} -C ${SOURCE_DIR} rev-parse --verify HEAD
                  OUTPUT_VARIABLE commit RESULT_VARIABLE commit_status
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(commit_status EQUAL 0 AND commit MATCHES "^[0-9a-f]+$")
    set(BUILD_COMMIT ${commit})
    execute_process(COMMAND ${GIT_PROGRAM} -C ${SOURCE_DIR} describe --always --dirty
                    OUTPUT_VARIABLE describe RESULT_VARIABLE describe_status
                    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(describe_status EQUAL 0)
      set(BUILD_DESCRIBE ${describe})
    endif()
    execute_process(COMMAND ${GIT_PROGRAM} -C ${SOURCE_DIR} status --porcelain
                            --untracked-files=no
                    OUTPUT_VARIABLE changes RESULT_VARIABLE status_status ERROR_QUIET)
    if(status_status EQUAL 0)
      if(changes STREQUAL "")
        set(BUILD_DIRTY 0)
      else()
        set(BUILD_DIRTY 1)
      endif()
    endif()
  endif()
endif()
configure_file(${TEMPLATE} ${OUTPUT} @ONLY)
