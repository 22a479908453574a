// The examples and exit codes shown at the end of every verb's --help
// (tools/main.cc attaches them), kept in one place so they stay consistent.
#include "tools/help.h"

#include <map>

namespace mcpsim::cli {
namespace {

const char* const kExit =
    "Exit codes: 0 success, 1 a check failed, 2 usage or input error, 3 target or harness failure.\n"
    "Errors are one line on stderr: `mcpsim: error: <what> (<clause or file:line:col>)`.";

std::string Footer(const char* examples, const char* exits = kExit) {
  return std::string("\nExamples:\n") + examples + "\n" + exits;
}

}  // namespace

std::string VerbFooter(const std::string& parent, const std::string& name) {
  static const std::map<std::string, std::string> kFooters = {
      {"/run", Footer("  mcpsim run scenarios/library/register-ok.yaml --seed 7      # last line: trace-hash: <16 hex>\n"
                      "  mcpsim run scenarios --seeds 1..3 --out out/                  # every *.yaml below scenarios/\n"
                      "  mcpsim run scenarios/library --seeds 1..50 --out out/ --failures-only\n"
                      "  mcpsim run sg-chat-loss.yaml --seed 42 --trace t.jsonl --pcap t.pcap",
                      "Exit codes: 0 every run passed, 1 a run failed (its replay line follows it), 2 usage or "
                      "scenario-file error (file:line:col), 3 cannot write --out.")},
      {"/sweep", Footer("  mcpsim sweep scenarios/library --seeds 1..1000 --jobs 2 --swarm\n"
                        "  mcpsim sweep scenarios/library --seeds 1..100000 --shard 3/16   # machine 3 of 16\n"
                        "  mcpsim sweep scenarios --seeds 1..200 --out out/   # pages for the failures only\n"
                        "  mcpsim sweep scenarios --seeds 1..200 --out out/ --all-runs",
                        "Exit codes: 0 every run passed, 1 a run failed, 2 usage or scenario-file error, 3 a worker "
                        "failed or --out cannot be written.")},
      {"/shrink", Footer("  mcpsim shrink failing.yaml --seed 42 -o minimal.yaml\n"
                         "  mcpsim shrink sg-chat-loss.yaml --seed 9 --swarm -o min.yaml && mcpsim run min.yaml",
                         "Exit codes: 0 the shrunk scenario was written, 1 the run passes (nothing to shrink), 2 "
                         "usage or scenario-file error.")},
      {"/conform",
       Footer("  mcpsim conform --list                       # id, transports, clauses, MUST/SHOULD, title\n"
              "  mcpsim conform --list --json --cases 'sg.*'\n"
              "  mcpsim conform --udp 127.0.0.1:7000 --tcp 127.0.0.1:7001 --http http://127.0.0.1:8080 --out report/\n"
              "  mcpsim conform --launch 'mcpsim serve --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --http 127.0.0.1:0 "
              "--db :memory:' --strict\n"
              "  mcpsim conform --launch '…' --fault 'loss=0.1,dup=0.05' --seeds 1..20   # pass rate per case\n"
              "  mcpsim conform --self-test\n"
              "  mcpsim conform --client --listen 127.0.0.1:0 --launch 'mcpsim client --dp {dp} --cache "
              "{dir}/c.db --accept-privacy -i'\n"
              "Placeholders of --client --launch: {dp} (http://HOST:PORT), {udp} and {http} (HOST:PORT), {dir} (a "
              "fresh folder per case), {case} (the case id).",
              "Exit codes: 0 every required case passed, 1 a case FAILED (or NON-STRICT with --strict, or below 100% "
              "over --seeds), 2 usage error (also --cases matching no case), 3 target unreachable or harness "
              "failure (report.json and junit.xml still say why).")},
      {"/report", Footer("  mcpsim report out/report.json > index.html\n"
                         "  mcpsim report out/report.json --format junit -o junit.xml\n"
                         "  mcpsim report new/report.json --baseline old/report.json --format md\n"
                         "  mcpsim report impl-a/report.json impl-b/report.json --matrix -o matrix/",
                         "Exit codes: 0 written, 2 unreadable or invalid report.json or bad option, 3 cannot "
                         "write the output.")},
      {"/serve", Footer("  mcpsim serve --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --http 127.0.0.1:0 --db mcpsim.db\n"
                        "  mcpsim serve --udps 127.0.0.1:7002 --key-file keys.txt --udp 127.0.0.1:7000\n"
                        "  mcpsim serve --list-mutants\n"
                        "Prints one `listening <scheme>://HOST:PORT <roles>` line per listener on stdout; SIGINT or "
                        "SIGTERM stops it (exit 0).",
                        "Exit codes: 0 stopped cleanly, 2 usage or config error, 3 cannot listen or open the "
                        "database.")},
      {"/client", Footer("  mcpsim client --dp http://127.0.0.1:8080 dispatch\n"
                         "  mcpsim client --dp http://127.0.0.1:8080 --accept-privacy --password pw --auto-captcha "
                         "register alice@live.cn\n"
                         "  mcpsim client --dp http://127.0.0.1:8080 --cache a.db --account alice@live.cn --password "
                         "pw send bob@live.cn hello\n"
                         "  mcpsim client --dp http://127.0.0.1:8080 --cache b.db -i    # commands on stdin, "
                         "events as they arrive",
                         "Exit codes: 0 every command succeeded, 1 a command was refused or gave up (its result "
                         "line says which), 2 usage error, 3 the server could not be reached.")},
      {"/wire", Footer("  printf 'RSM 7 12 Hello%%20world\\r\\n' | mcpsim wire decode\n"
                       "  mcpsim wire decode --datagram < datagram.bin\n"
                       "  mcpsim wire decode < capture.bin | mcpsim wire encode > same.bin")},
      {"wire/decode", Footer("  printf 'RSM 7 12 Hello%%20world\\r\\nrsm 8 x\\r\\n' | mcpsim wire decode\n"
                             "  mcpsim wire decode --datagram < datagram.bin",
                             "Exit codes: 0 every command decoded, 1 a command was malformed (its JSON line names "
                             "the clause and byte offset), 2 usage error.")},
      {"wire/encode", Footer("  mcpsim wire decode < capture.bin | mcpsim wire encode > same.bin",
                             "Exit codes: 0 every line encoded, 2 a line was not valid JSON of the decode form "
                             "(one error line per bad line, with its line number).")},
      {"/bench", Footer("  mcpsim bench codec\n  mcpsim bench world\n"
                        "Each benchmark prints `<name>.<metric>: <value>` lines on stdout.",
                        "Exit codes: 0 measured, 2 usage error, 3 the benchmark could not run.")},
  };
  auto it = kFooters.find(parent + "/" + name);
  if (it != kFooters.end()) return it->second;
  if (parent == "bench") {
    return Footer(("  mcpsim bench " + name + "\n  mcpsim --log-level info bench " + name).c_str(),
                  "Exit codes: 0 measured, 2 usage error, 3 the benchmark could not run (e.g. no loopback "
                  "socket).");
  }
  return "\n" + std::string(kExit);
}

}  // namespace mcpsim::cli
