# Installation layout (`cmake --install`) and the Debian package (CPack):
#   bin/mcpsim                                   the program
#   share/mcpsim/PROTOCOL.md                     the normative spec (to read; conform uses the copy compiled in)
#   share/mcpsim/report.schema.json              the report.json schema
#   share/mcpsim/scenarios/library/*.yaml        the scenario library
#   share/mcpsim/wireshark/mcp.lua               the Wireshark dissector (display filter `mccp`)
#   lib/<multiarch>/wireshark/plugins/mcp.lua    the same, where Debian's Wireshark loads Lua plugins
#   share/doc/mcpsim/README.md
# `cpack -G DEB` (in the build folder) writes mcpsim_<version>_<arch>.deb with
# its shared-library dependencies computed by dpkg-shlibdeps.
include(GNUInstallDirs)
# `install`/cpack do not rebuild everything (the test binaries); build mcpsim first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)
install(TARGETS mcpsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/reference/PROTOCOL.md ${PROJECT_SOURCE_DIR}/reports/report.schema.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/mcpsim)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/library DESTINATION ${CMAKE_INSTALL_DATADIR}/mcpsim/scenarios
        FILES_MATCHING PATTERN "*.yaml" PATTERN "*.yml")
install(FILES ${PROJECT_SOURCE_DIR}/tools/wireshark/mcp.lua DESTINATION ${CMAKE_INSTALL_DATADIR}/mcpsim/wireshark)
if(CMAKE_LIBRARY_ARCHITECTURE)
  set(MCPSIM_WIRESHARK_PLUGIN_DIR "lib/${CMAKE_LIBRARY_ARCHITECTURE}/wireshark/plugins")
else()
  set(MCPSIM_WIRESHARK_PLUGIN_DIR "${CMAKE_INSTALL_LIBDIR}/wireshark/plugins")
endif()
install(FILES ${PROJECT_SOURCE_DIR}/tools/wireshark/mcp.lua DESTINATION ${MCPSIM_WIRESHARK_PLUGIN_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mcpsim)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "mcpsim")
set(CPACK_PACKAGE_CONTACT "mcpsim maintainers <mcpsim@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "deterministic simulation and conformance harness for MCP/MCCP (Mobile Communication Protocol)")
set(CPACK_PACKAGE_DESCRIPTION
    "mcpsim runs a sans-I/O reference implementation of every MCP/MCCP role on a simulated network \
(seeded faults, replayable runs) and checks third-party servers and clients with a conformance \
suite (JUnit, HTML and JSON reports). It is not related to the Model Context Protocol. Includes \
the scenario library, PROTOCOL.md and a Wireshark dissector.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)            # mcpsim_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)             # libsqlite3-0, libsodium23, libspdlog1.10, ...
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "tshark | wireshark")
set(CPACK_STRIP_FILES ON)
include(CPack)
