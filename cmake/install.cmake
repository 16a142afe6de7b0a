# What `cmake --install` puts where, and the Debian package `cpack -G DEB` makes of it
# (tests/package/run builds, checks, unpacks and runs it):
#   bin/datagrok
#   share/man/man1/datagrok.1.gz                     man/datagrok.1, gzip -9n as Debian wants
#   share/bash-completion/completions/datagrok       completion/datagrok.bash
#   share/doc/datagrok/{README.md,copyright}         copyright is LICENSE
#   share/doc/datagrok/docs/...                      docs/, when the tree has it
#   share/doc/datagrok/examples/*.lua                scripts/*.lua (the example workflows)
#   share/doc/datagrok/systemd/...                   scripts/systemd/, when the tree has it
#   share/doc/datagrok/cron/...                      scripts/cron/, when the tree has it
# The globs re-run at build time (CONFIGURE_DEPENDS), so files that land later are installed.
include(GNUInstallDirs)

install(TARGETS datagrok RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

find_program(GZIP_EXECUTABLE gzip)
if(GZIP_EXECUTABLE)
  set(DG_MAN ${CMAKE_BINARY_DIR}/datagrok.1.gz)
  add_custom_command(OUTPUT ${DG_MAN}
    COMMAND ${GZIP_EXECUTABLE} -9n -c ${CMAKE_SOURCE_DIR}/man/datagrok.1 > ${DG_MAN}
    DEPENDS ${CMAKE_SOURCE_DIR}/man/datagrok.1
    COMMENT "Compressing the man page")
else()
  set(DG_MAN ${CMAKE_SOURCE_DIR}/man/datagrok.1)
endif()
add_custom_target(datagrok_man ALL DEPENDS ${DG_MAN})
install(FILES ${DG_MAN} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

install(FILES ${CMAKE_SOURCE_DIR}/completion/datagrok.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME datagrok)

install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME copyright)

# Installs every file under the source folder `from` to `to`, keeping subfolders.
function(dg_install_tree from to)
  file(GLOB_RECURSE files RELATIVE ${CMAKE_SOURCE_DIR}/${from} CONFIGURE_DEPENDS
       ${CMAKE_SOURCE_DIR}/${from}/*)
  foreach(f ${files})
    get_filename_component(sub ${f} DIRECTORY)
    install(FILES ${CMAKE_SOURCE_DIR}/${from}/${f} DESTINATION ${to}/${sub})
  endforeach()
endfunction()
dg_install_tree(docs ${CMAKE_INSTALL_DOCDIR}/docs)
dg_install_tree(scripts/systemd ${CMAKE_INSTALL_DOCDIR}/systemd)
dg_install_tree(scripts/cron ${CMAKE_INSTALL_DOCDIR}/cron)
file(GLOB DG_EXAMPLES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/scripts/*.lua)
install(FILES ${DG_EXAMPLES} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# ---- the Debian package -------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME datagrok)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "automate the Datagrok data platform with Lua 5.4 scripts")
set(CPACK_PACKAGE_DESCRIPTION
    "One executable that embeds Lua 5.4 and gives scripts a datagrok module: an HTTP client\n\
with retries, a built-in emulator of the Datagrok API, DataFrames with pandas-identical CSV\n\
and a safe directory sync, made to run unattended under cron or systemd timers.")
set(CPACK_PACKAGE_CONTACT "datagrok maintainers <datagrok@localhost>")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)          # datagrok_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)          # Depends from the libraries it links
# ... and from those it opens on first use (libcurl, libmicrohttpd): see the probe
add_executable(dg_shlibdeps_probe ${CMAKE_SOURCE_DIR}/cmake/shlibdeps_probe.c)
target_include_directories(dg_shlibdeps_probe PRIVATE ${SRC}/client ${SRC}/emulator)
target_link_libraries(dg_shlibdeps_probe PRIVATE PkgConfig::CURL PkgConfig::MHD PkgConfig::CRYPTO)
target_link_options(dg_shlibdeps_probe PRIVATE -Wl,--no-as-needed)
set(DG_PROBE ${CMAKE_BINARY_DIR}/dg_shlibdeps_probe)
configure_file(${CMAKE_SOURCE_DIR}/cmake/cpack_project.cmake.in
               ${CMAKE_BINARY_DIR}/cpack_project.cmake @ONLY)
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_BINARY_DIR}/cpack_project.cmake)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion, man-db")
include(CPack)
