// `mcpsim conform --client`: runs the client-conformance catalog
// (client_cases.h) against a client started by --launch, with the servers of
// client_servers.h listening at --listen, and writes the same reports as a
// server run (report.json, junit.xml, index.html, summary.md, run.pcap).
//
// --launch is run once per case through /bin/sh with these placeholders
// substituted: {dp} = http://HOST:PORT (DP; RS and MS are named in AQQW),
// {udp} = HOST:PORT (CS over UDP), {http} = HOST:PORT, {dir} = a fresh empty
// directory for the case (client state), {case} = the case id. The client
// reads the case's operation lines on stdin (EOF after the last) and should
// exit when done; it is stopped (SIGTERM) when its case budget ends.
#pragma once

#include <cstdint>
#include <string>

namespace mcpsim::conformance {

struct ClientOptions {
  std::string listen = "127.0.0.1:0";
  std::string launch;
  std::string cases = "*";
  std::string timers;   // "INITIAL_MS,MAX_MS,RESENDS" (ParseClientTimers)
  std::string out = "mcpsim-report";
  std::string protocol; // PROTOCOL.md text, for clause coverage ("" = none)
  bool strict = false;
  bool list = false;
  std::uint64_t seed = 1;
};

// Prints one line per case and a summary on stdout; returns the exit code
// (0 every required case OK, 1 a case FAILED, 2 usage, 3 harness failure).
// `baseline_json`: an earlier report.json ("" = none).
int RunClientConformance(const ClientOptions& o, const std::string& baseline_json);

}  // namespace mcpsim::conformance
