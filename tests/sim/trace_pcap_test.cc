#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

#include "core/hash.h"
#include "sim/pcap.h"
#include "sim/trace.h"
#include "sim/world.h"

namespace mcpsim::sim {
namespace {

std::string TempPath(const std::string& name) {
  return testing::TempDir() + "/mcpsim_sim_" + std::to_string(::getpid()) + "_" + name;
}

std::vector<std::uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::uint32_t Le32(const std::uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t{p[3]} << 24);
}
std::uint16_t Be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

struct PcapRecord {
  std::uint32_t sec, usec;
  std::vector<std::uint8_t> data;
};

// A tiny classic-pcap reader: returns false on any structural error.
bool ParsePcap(const std::vector<std::uint8_t>& f, std::vector<PcapRecord>* out) {
  if (f.size() < 24 || Le32(f.data()) != 0xa1b2c3d4 || Le32(f.data() + 20) != kLinktypeRaw) return false;
  if (f[4] != 2 || f[6] != 4) return false;
  std::size_t off = 24;
  while (off < f.size()) {
    if (off + 16 > f.size()) return false;
    const std::uint32_t incl = Le32(&f[off + 8]), orig = Le32(&f[off + 12]);
    if (incl > orig || off + 16 + incl > f.size()) return false;
    out->push_back({Le32(&f[off]), Le32(&f[off + 4]),
                    std::vector<std::uint8_t>(f.begin() + off + 16, f.begin() + off + 16 + incl)});
    off += 16 + incl;
  }
  return true;
}

// Returns true if IPv4 header checksum and the L4 (UDP/TCP) checksum verify.
bool ChecksumsVerify(const std::vector<std::uint8_t>& p) {
  if (p.size() < 20 || p[0] != 0x45 || Be16(&p[2]) != p.size()) return false;
  if (InternetChecksum(Bytes(p.data(), 20)) != 0) return false;
  const std::size_t l4 = p.size() - 20;
  std::uint32_t pseudo = Be16(&p[12]) + Be16(&p[14]) + Be16(&p[16]) + Be16(&p[18]) + p[9] +
                         static_cast<std::uint32_t>(l4);
  return InternetChecksum(Bytes(p.data() + 20, l4), pseudo) == 0;
}

TEST(SimTrace, LinesAreCanonicalJsonAndHashIsFnvOfLines) {
  TimeUs now = 42;
  Trace t(&now);
  t.set_capture(true);
  t.Event("n\"1", "proto", TraceFields().Int("x", -5).Str("s", "a\nb\x01").Bool("ok", true).str());
  now = 43;
  t.Event("n2", "bare");
  ASSERT_EQ(t.lines().size(), 2u);
  EXPECT_EQ(t.lines()[0], R"({"t":42,"node":"n\"1","ev":"proto","x":-5,"s":"a\nb\u0001","ok":true})");
  EXPECT_EQ(t.lines()[1], R"({"t":43,"node":"n2","ev":"bare"})");
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& l : t.lines()) h = Fnv1a(l + "\n", h);
  EXPECT_EQ(t.hash(), h);
  EXPECT_EQ(t.count(), 2u);
}

TEST(SimTrace, FileMatchesInMemoryLines) {
  const std::string path = TempPath("trace.jsonl");
  std::string mem;
  {
    WorldOptions o;
    o.capture_trace = true;
    World w(5, o);
    ASSERT_TRUE(w.trace().OpenFile(path).ok());
    const NodeId a = w.AddNode("a");
    w.env(a).StartTimer(10, [] {});
    ASSERT_TRUE(w.RunUntilQuiet().ok());
    for (const auto& l : w.trace().lines()) mem += l + "\n";
  }
  const auto file = ReadFile(path);
  EXPECT_EQ(std::string(file.begin(), file.end()), mem);
  EXPECT_NE(mem.find("\"ev\":\"timer\""), std::string::npos);
  std::remove(path.c_str());
  TimeUs now = 0;
  Trace t(&now);
  EXPECT_EQ(t.OpenFile("/nonexistent-dir/x").clause(), "SIM-10");
}

TEST(SimPcap, UdpAndTcpPacketsParseWithValidChecksumsAndOpenInTshark) {
  const std::string path = TempPath("traffic.pcap");
  std::uint64_t expected = 0;
  {
    World w(2);
    ASSERT_TRUE(w.OpenPcap(path).ok());
    const NodeId a = w.AddNode("a"), b = w.AddNode("b");
    LinkConfig cfg;
    cfg.base_delay = 1500;
    w.SetDefaultLink(cfg);
    ASSERT_TRUE(w.env(b).BindDatagram(5000, [](const Endpoint&, Bytes) {}).ok());
    ASSERT_TRUE(w.env(a).BindDatagram(4000, [](const Endpoint&, Bytes) {}).ok());
    for (int i = 0; i < 5; ++i) {
      const std::string msg = "hello " + std::to_string(i) + (i == 4 ? "x" : "");  // odd length too
      w.scheduler().At(i * 1000, [&w, a, b, msg] {
        (void)w.env(a).SendDatagram(4000, Endpoint::V4(w.node_ip(b), 5000),
                                    Bytes(reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size()));
      });
    }
    ASSERT_TRUE(w.env(b).Listen(80, [&w, b](StreamId id, const Endpoint&) {
      StreamHandlers h;
      h.on_eof = [&w, b, id] {
        (void)w.env(b).StreamSend(id, Bytes(reinterpret_cast<const std::uint8_t*>("HTTP/1.0 200 OK\r\n\r\n"), 19));
        (void)w.env(b).StreamShutdownWrite(id);
      };
      return h;
    }).ok());
    auto id = w.env(a).Connect(Endpoint::V4(w.node_ip(b), 80), {});
    ASSERT_TRUE(id.ok());
    const std::string req = "GET / HTTP/1.0\r\n\r\n";
    ASSERT_TRUE(w.env(a).StreamSend(*id, Bytes(reinterpret_cast<const std::uint8_t*>(req.data()), req.size())).ok());
    ASSERT_TRUE(w.env(a).StreamShutdownWrite(*id).ok());
    ASSERT_TRUE(w.RunUntilQuiet().ok());
    expected = w.pcap().packets();
    w.pcap().Close();
  }
  // 5 UDP + SYN, SYN-ACK, ACK, request, FIN, response, FIN = 12.
  EXPECT_EQ(expected, 12u);
  std::vector<PcapRecord> recs;
  ASSERT_TRUE(ParsePcap(ReadFile(path), &recs));
  ASSERT_EQ(recs.size(), expected);
  int tcp = 0;
  std::vector<std::uint32_t> udp_usec;  // virtual timestamps of the datagrams
  for (const auto& r : recs) {
    EXPECT_TRUE(ChecksumsVerify(r.data));
    if (r.data[9] == 17) udp_usec.push_back(r.usec);
    tcp += r.data[9] == 6;
  }
  EXPECT_EQ(udp_usec, (std::vector<std::uint32_t>{0, 1000, 2000, 3000, 4000}));
  EXPECT_EQ(tcp, 7);
  if (access("/usr/bin/tshark", X_OK) == 0) {
    const std::string cmd = "/usr/bin/tshark -r '" + path + "' 2>/dev/null | wc -l";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char buf[64] = {};
    ASSERT_NE(fgets(buf, sizeof buf, p), nullptr);
    pclose(p);
    EXPECT_EQ(std::stoul(buf), expected);
  }
  std::remove(path.c_str());
}

RC_GTEST_PROP(SimPcap, BuiltPacketsAlwaysVerify, (std::vector<std::uint8_t> payload, std::uint32_t src,
                                                  std::uint32_t dst, std::uint16_t sp, std::uint16_t dp)) {
  RC_ASSERT(ChecksumsVerify(BuildIpv4Udp(src, sp, dst, dp, payload, 7)));
  RC_ASSERT(ChecksumsVerify(BuildIpv4Tcp(src, sp, dst, dp, 1, 2, kTcpAck | kTcpPsh, payload, 7)));
}

}  // namespace
}  // namespace mcpsim::sim
