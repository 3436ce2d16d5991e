# The ctest PythonPackage.InstallsAnImportablePackage: `cmake --install`
# of BUILD_DIR into a fresh PREFIX, then the installed package imported by
# PYTHON from PREFIX/INSTALL_DIR (Debian's dist-packages layout), its
# extension module and every server module with it.
#   cmake -DBUILD_DIR=... -DPREFIX=... -DINSTALL_DIR=... -DPYTHON=... -P install_test.cmake
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
                RESULT_VARIABLE installed OUTPUT_QUIET)
if(NOT installed EQUAL 0)
  message(FATAL_ERROR "cmake --install ${BUILD_DIR} --prefix ${PREFIX} failed: ${installed}")
endif()
set(ENV{PYTHONPATH} ${PREFIX}/${INSTALL_DIR})
execute_process(
  COMMAND ${PYTHON} -c "import shoal, shoal._shoal, shoal.inetd
import shoal.server.fcgi_fork, shoal.server.scgi_fork, shoal.server.ajp_fork
import shoal.server.fcgi, shoal.server.scgi, shoal.server.ajp
assert shoal._shoal.__file__.startswith('${PREFIX}/'), shoal._shoal.__file__
print('imported shoal', shoal.__version__, 'from', shoal.__file__)"
  RESULT_VARIABLE imported OUTPUT_VARIABLE said ERROR_VARIABLE said)
message(STATUS "${said}")
if(NOT imported EQUAL 0)
  message(FATAL_ERROR "the installed package does not import")
endif()
file(REMOVE_RECURSE ${PREFIX})
