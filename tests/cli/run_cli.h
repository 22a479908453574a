// Test helper: run the mcpsim binary and capture stdout, stderr and the exit
// code. MCPSIM_BIN is the absolute path of the built binary (set by CMake).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace mcpsim::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs `MCPSIM_BIN <args>` through /bin/sh with `stdin_data` on standard
// input. `args` is shell syntax (quote as needed).
// Writes an ENC-2 key table with keys 3 and 9 (fixed test keys) to
// `dir`/keys.txt for `serve --key-file` and the ENC cases; returns its path.
inline std::string WriteTestKeyFile(const std::string& dir) {
  const std::string path = dir + "/keys.txt";
  std::ofstream(path) << "3 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
                         "9 f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff\n";
  return path;
}

inline CliResult RunCli(const std::string& args, const std::string& stdin_data = "") {
  char dir_template[] = "/tmp/mcpsim-cli-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const std::string in = dir + "/in", out = dir + "/out", err = dir + "/err";
  {
    std::ofstream f(in, std::ios::binary);
    f << stdin_data;
  }
  const std::string cmd = std::string("'") + MCPSIM_BIN + "' " + args + " <" + in + " >" + out +
                          " 2>" + err;
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadWholeFile(out);
  r.err = ReadWholeFile(err);
  std::remove(in.c_str());
  std::remove(out.c_str());
  std::remove(err.c_str());
  rmdir(dir.c_str());
  return r;
}

}  // namespace mcpsim::testing
