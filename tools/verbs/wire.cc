// `mcpsim wire decode|encode`: converts between MCP wire bytes and a JSON Lines
// form, one object per command:
//   {"command":"RSM","trid":7,"status":null,"params":["a",""],"payload":null}
// status: a number for answers, null for requests; params: decoded strings
// (for payload words without the length param); payload: base64 or null.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "reference/wire/base64.h"
#include "reference/wire/command.h"
#include "reference/wire/framer.h"
#include "reference/wire/parse.h"
#include "tools/verb.h"

namespace mcpsim::cli {
namespace {

using json = nlohmann::ordered_json;
using wire::Limits;
using wire::Outcome;

void Emit(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  s.push_back('\n');
  std::fwrite(s.data(), 1, s.size(), stdout);
}

void EmitCommand(const wire::CommandView& v) {
  json j;
  j["command"] = std::string(v.word());
  j["trid"] = v.trid();
  j["status"] = v.status() ? json(*v.status()) : json(nullptr);
  json params = json::array();
  std::string decoded;
  for (std::size_t i = 0; i < v.param_count(); ++i) {
    v.DecodeParamInto(i, decoded);
    params.push_back(decoded);
  }
  j["params"] = std::move(params);
  j["payload"] = v.payload() ? json(wire::Base64Encode(*v.payload())) : json(nullptr);
  Emit(j);
}

void EmitError(const wire::WireError& e) {
  json inner;
  inner["clause"] = e.clause;
  inner["offset"] = e.offset;
  inner["message"] = e.message;
  json j;
  j["error"] = std::move(inner);
  Emit(j);
}

int Decode(bool datagram) {
  std::size_t errors = 0;
  char chunk[1 << 16];
  if (datagram) {
    std::string all;
    std::size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, stdin)) > 0) all.append(chunk, n);
    errors = wire::ParseDatagram(all, Limits::Datagram(),
                                 [](const wire::CommandView& v, std::uint64_t) { EmitCommand(v); },
                                 [](const wire::WireError& e) { EmitError(e); });
  } else {
    wire::StreamFramer framer(Limits::Stream());
    Outcome o;
    std::size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, stdin)) > 0) {
      framer.Append(std::string_view(chunk, n));
      for (framer.Next(o); !o.need_more(); framer.Next(o)) {
        if (o.is_command()) {
          EmitCommand(o.command);
        } else {
          ++errors;
          EmitError(o.error);
        }
      }
    }
    if (auto err = framer.Finish()) {
      ++errors;
      EmitError(*err);
    }
  }
  std::fflush(stdout);
  return errors ? 1 : 0;
}

// Builds a Command from one JSON Lines object; errors name the field.
Result<wire::Command> CommandFromJson(const json& j) {
  if (!j.is_object()) return Status::Error("JSON", "expected a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key != "command" && key != "trid" && key != "status" && key != "params" && key != "payload") {
      return Status::Error("JSON", "unknown key \"" + key + "\"");
    }
  }
  wire::Command c;
  if (!j.contains("command") || !j["command"].is_string()) {
    return Status::Error("JSON", "\"command\" must be a string");
  }
  c.word = j["command"].get<std::string>();
  if (!j.contains("trid") || !j["trid"].is_number_unsigned() || j["trid"].get<std::uint64_t>() > 0xFFFFFFFFULL) {
    return Status::Error("JSON", "\"trid\" must be an integer 0..4294967295");
  }
  c.trid = static_cast<std::uint32_t>(j["trid"].get<std::uint64_t>());
  if (j.contains("status") && !j["status"].is_null()) {
    if (!j["status"].is_number_unsigned() || j["status"].get<std::uint64_t>() > 0xFFFF) {
      return Status::Error("JSON", "\"status\" must be null or an integer 0..65535");
    }
    c.status = static_cast<std::uint32_t>(j["status"].get<std::uint64_t>());
  }
  if (!j.contains("params") || !j["params"].is_array()) {
    return Status::Error("JSON", "\"params\" must be an array of strings");
  }
  for (const json& p : j["params"]) {
    if (!p.is_string()) return Status::Error("JSON", "\"params\" must be an array of strings");
    c.params.push_back(p.get<std::string>());
  }
  if (j.contains("payload") && !j["payload"].is_null()) {
    if (!j["payload"].is_string()) return Status::Error("JSON", "\"payload\" must be null or base64");
    auto bytes = wire::Base64Decode(j["payload"].get<std::string>());
    if (!bytes.ok()) return Status::Error("JSON", "\"payload\": " + bytes.status().ToString());
    c.payload = std::move(*bytes);
  }
  return c;
}

int Encode() {
  std::string line, out;
  std::size_t lineno = 0;
  int failed = 0;
  while (std::getline(std::cin, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    Status st;
    if (j.is_discarded()) {
      st = Status::Error("JSON", "not valid JSON");
    } else if (auto c = CommandFromJson(j); !c.ok()) {
      st = c.status();
    } else {
      out.clear();
      st = wire::AppendCommand(*c, out, Limits::Stream());
      if (st.ok()) std::fwrite(out.data(), 1, out.size(), stdout);
    }
    if (!st.ok()) {
      failed = 1;
      std::fflush(stdout);
      std::cerr << "mcpsim: error: line " << lineno << ": " << st.ToString() << "\n";
    }
  }
  std::fflush(stdout);
  return failed ? 2 : 0;
}

RegisterGroup group{{"wire", "Decode/encode MCP wire bytes (JSON Lines form)"}};

RegisterVerb decode{{"wire", "decode",
                     "Read wire bytes on stdin (one TCP-style stream; --datagram: one UDP datagram "
                     "with UDP limits) and print one JSON object per command or error. Exit 0, or 1 "
                     "if any command was malformed.",
                     [](CLI::App& cmd) -> Runner {
                       auto datagram = std::make_shared<bool>(false);
                       cmd.add_flag("--datagram", *datagram,
                                    "Treat stdin as one datagram (WIRE-10 on a trailing partial "
                                    "command, LIM-3/LIM-4 UDP limits)");
                       return [datagram] { return Decode(*datagram); };
                     }}};

RegisterVerb encode{{"wire", "encode",
                     "Read JSON Lines (the decode form) on stdin and write wire bytes. A bad line is "
                     "skipped with a one-line error on stderr naming its line number; exit 2 if any "
                     "line failed, else 0.",
                     [](CLI::App&) -> Runner { return [] { return Encode(); }; }}};

}  // namespace
}  // namespace mcpsim::cli
