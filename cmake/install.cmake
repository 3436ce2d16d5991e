# `cmake --install` and `cpack -G DEB`: what a packager installs, and where.
#
#   bin/shoal                               the daemon
#   lib/python3/dist-packages/shoal/        `import shoal` (package/CMakeLists.txt)
#   share/man/man1/shoal.1.gz               its man page
#   share/shoal/service/...                 the service templates (service/templates/)
#   lib/systemd/system/shoal.{service,socket}  the systemd units
#   share/doc/shoal/{README.md,conf,examples}  front-end configs and the example app
#
# The package (cpack -G DEB, from the build directory) installs under /usr;
# its dependencies come from dpkg-shlibdeps (package dpkg-dev).
include(GNUInstallDirs)

install(TARGETS shoal RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_BINARY_DIR}/shoal.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

set(kTemplates ${CMAKE_SOURCE_DIR}/service/templates)
if(EXISTS ${kTemplates})
  install(DIRECTORY ${kTemplates}/ DESTINATION ${CMAKE_INSTALL_DATADIR}/shoal/service
          USE_SOURCE_PERMISSIONS)
  file(GLOB kSystemdUnits ${kTemplates}/systemd/*.service ${kTemplates}/systemd/*.socket)
  install(FILES ${kSystemdUnits} DESTINATION lib/systemd/system)
endif()

# The templates name /usr/bin/shoal (the package's path); an install under
# another prefix rewrites it to the binary installed there, at install time,
# when CMAKE_INSTALL_PREFIX is final (cpack sets its own).
install(CODE [[
  file(GLOB_RECURSE installed_templates
       "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/share/shoal/service/*"
       "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/lib/systemd/system/shoal.*")
  foreach(template IN LISTS installed_templates)
    file(READ "${template}" text)
    string(REPLACE "/usr/bin/shoal" "${CMAKE_INSTALL_PREFIX}/bin/shoal" rewritten "${text}")
    if(NOT rewritten STREQUAL text)
      file(WRITE "${template}" "${rewritten}")
    endif()
  endforeach()
]])

install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY conf examples DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME shoal)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "shoal developers <shoal@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "preforking WSGI server speaking FastCGI, SCGI and AJP13")
set(CPACK_PACKAGE_DESCRIPTION
    "shoal serves a Python WSGI application to nginx, Apache or lighttpd over FastCGI, SCGI or AJP13, with an embedded CPython and a supervised pool of preforked workers. It runs under daemontools, runit, s6 or systemd.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION httpd)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The app's own imports need python3; the embedded interpreter is libpython.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "python3 (>= 3.11)")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nginx | apache2 | lighttpd, daemontools | runit | s6")
include(CPack)
