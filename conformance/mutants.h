// Mutants: the reference server with one deliberate defect each, used to
// prove that the conformance catalog catches broken servers
// (`mcpsim serve --mutant NAME`, `mcpsim conform --self-test`).
//
// A mutant never edits protocol code. It is either
//   - a decorator around the server's routing front (MutatingRole): it
//     rewrites or drops outgoing commands (UDP datagrams, TCP bytes, MCP
//     HTTP bodies), changes how they are written (escaping, line ends,
//     status digits), rewrites HTTP responses, or mangles TCP input; or
//   - an explicit TEST-ONLY switch of a role's config struct (documented
//     there: ServerConfig::dedup_enabled/anti_amplification, SgConfig
//     rcr_page_records/rcr_stop_and_wait/offline_keep_refused/max_*,
//     RsConfig::captcha_single_use, CsConfig::test_cache_without_endpoint,
//     net::ServerOptions::test_* such as test_udps_key_blind).
// Each mutant names the PROTOCOL.md clause it violates.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reference/roles/role.h"
#include "reference/wire/command.h"

namespace mcpsim::reference {
struct RsConfig;
struct SgConfig;
struct CsConfig;
struct DpConfig;
}  // namespace mcpsim::reference

namespace mcpsim::net {
struct ServerOptions;
}


namespace mcpsim::conformance {

// How the decorator writes an outgoing command.
struct WriteStyle {
  bool escape = true;          // false: params written raw (WIRE-6 violated)
  std::string eol = "\r\n";    // "\n": LF-only lines (WIRE-1/WIRE-9)
  bool trailing_space = false; // an SP before the line end (WIRE-2)
  bool ok_status_00 = false;   // success written "00" (WIRE-5)
  bool over_escape = false;    // '.' in params written as a lowercase escape "%2e" (WIRE-14)
  bool Default() const { return escape && eol == "\r\n" && !trailing_space && !ok_status_00 && !over_escape; }
};

struct Mutant {
  std::string name;    // e.g. "trid-plus-one"
  std::string breaks;  // one line: what the defect is
  std::string clause;  // the clause it violates, e.g. "TRID-1"
  bool should = false; // the clause is a SHOULD: a NON-STRICT verdict kills it

  // Config switches (unset = none).
  std::function<void(reference::RsConfig&)> rs;
  std::function<void(reference::SgConfig&)> sg;
  std::function<void(reference::CsConfig&)> cs;
  std::function<void(reference::DpConfig&)> dp;
  // Server-wide TEST-ONLY switches (net::ServerOptions::test_*: the stream listeners).
  std::function<void(net::ServerOptions&)> server;

  // Decorator pieces (unset = pass through).
  // Per outgoing command; returning false drops it.
  std::function<bool(wire::Command&)> on_command;
  // Per outgoing batch (one datagram, TCP write or HTTP body), after on_command.
  std::function<void(std::vector<wire::Command>&)> on_batch;
  WriteStyle style;
  // Called before the inner role sees an HTTP request; a value short-circuits.
  std::function<std::optional<reference::HttpResponse>(const reference::HttpRequest&)> before_http;
  // Rewrites an HTTP response (after on_command/style were applied to MCP bodies).
  std::function<void(const reference::HttpRequest&, reference::HttpResponse&)> on_http;
  // Rewrites one TCP input segment (per connection state is the decorator's).
  std::function<std::string(std::string_view)> on_stream_in;
  bool keep_streams_open = false;  // drop every close-stream output (TCP-3, TCP-6)

  bool HasDecorator() const {
    return on_command || on_batch || !style.Default() || before_http || on_http || on_stream_in || keep_streams_open;
  }
};

// A mutant with only its name, clause and defect set (the mutants_*.cc
// files fill in the rest).
inline Mutant M(std::string name, std::string clause, std::string breaks) {
  Mutant m;
  m.name = std::move(name);
  m.clause = std::move(clause);
  m.breaks = std::move(breaks);
  return m;
}

// The mutants of mutants_more.cc (issue 14), appended to the list.
void AddMoreMutants(std::vector<Mutant>& v);
// The mutants of mutants_abuse.cc (issue 15: rate limits, back-off, HTTP
// listener defences), appended after them.
void AddAbuseMutants(std::vector<Mutant>& v);
// The mutants of mutants_clauses.cc (issue 14: the coverage cases of
// catalog_clauses.cc), appended last.
void AddClauseMutants(std::vector<Mutant>& v);
// The mutants of mutants_windows.cc (issue 14: the last uncovered clauses,
// catalog_windows.cc and catalog_order.cc), appended after those.
void AddWindowMutants(std::vector<Mutant>& v);

// Every mutant, in a fixed order (names unique).
const std::vector<Mutant>& Mutants();
const Mutant* FindMutant(const std::string& name);

// The decorator for `m` around `inner` (not owned; must outlive it).
std::unique_ptr<reference::Role> MakeMutatingRole(const Mutant& m, reference::Role& inner);

// Installs `m`'s config switches and decorator into `o` (`mcpsim serve
// --mutant`, the self-test). `m` must outlive the server.
void ApplyMutant(const Mutant& m, net::ServerOptions& o);

// Rewrites every complete command of `bytes` per `m` (on_command, style).
// Bytes that do not decode completely are returned unchanged.
std::string RewriteCommands(const Mutant& m, std::string_view bytes);

}  // namespace mcpsim::conformance
