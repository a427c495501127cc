# `cpack -G DEB` in the build folder (or scripts/package) makes linkgate_<version>_<arch>.deb from
# the install layout: the server, its plugins, templates, /etc/linkgate/linkgate.yaml as a
# conffile, the systemd unit, and a system user made by postinst. Depends: from the binaries'
# shared libraries (dpkg-shlibdeps), plus adduser.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME linkgate)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "linkgate maintainers <maintainers@linkgate.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "passwordless sign-in server: one-time links and codes")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
       "linkgate signs users in with a one-time link and code sent by e-mail\n"
       "or SMS: scanner-proof links, single use even when stateless, durable\n"
       "delivery, and plugins for tokens, delivery channels and user stores.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/debian/conffiles;${PROJECT_SOURCE_DIR}/packaging/debian/postinst;${PROJECT_SOURCE_DIR}/packaging/debian/postrm")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES TRUE)
include(CPack)
