#include "sim/pcap.h"

#include <algorithm>

#include <cstring>

namespace mcpsim::sim {
namespace {

constexpr std::size_t kMaxPayload = 65535 - 20 - 20;

void Put16(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void Put32(std::uint8_t* p, std::uint32_t v) {
  Put16(p, v >> 16);
  Put16(p + 2, v & 0xffff);
}
void PutLe32(std::FILE* f, std::uint32_t v) {
  const std::uint8_t b[4] = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
                             static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
  std::fwrite(b, 1, 4, f);
}

std::uint32_t SumWords(Bytes data, std::uint32_t sum) {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += (std::uint32_t{data[i]} << 8) | data[i + 1];
  if (i < data.size()) sum += std::uint32_t{data[i]} << 8;
  return sum;
}

// Writes the 20-byte IPv4 header at `p` and returns the pseudo-header sum.
std::uint32_t Ipv4Header(std::uint8_t* p, std::uint32_t src, std::uint32_t dst, std::uint8_t proto,
                         std::size_t l4_len, std::uint16_t ip_id) {
  p[0] = 0x45;
  p[1] = 0;
  Put16(p + 2, static_cast<std::uint32_t>(20 + l4_len));
  Put16(p + 4, ip_id);
  Put16(p + 6, 0x4000);  // DF
  p[8] = 64;
  p[9] = proto;
  Put16(p + 10, 0);
  Put32(p + 12, src);
  Put32(p + 16, dst);
  Put16(p + 10, InternetChecksum(Bytes(p, 20)));
  std::uint32_t pseudo = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
  return pseudo + proto + static_cast<std::uint32_t>(l4_len);
}

}  // namespace

std::uint16_t InternetChecksum(Bytes data, std::uint32_t sum) {
  sum = SumWords(data, sum);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::vector<std::uint8_t> BuildIpv4Udp(std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
                                       std::uint16_t dport, Bytes payload, std::uint16_t ip_id) {
  if (payload.size() > kMaxPayload - 8) payload = payload.first(kMaxPayload - 8);
  const std::size_t l4 = 8 + payload.size();
  std::vector<std::uint8_t> pkt(20 + l4);
  std::uint8_t* u = pkt.data() + 20;
  const std::uint32_t pseudo = Ipv4Header(pkt.data(), src, dst, 17, l4, ip_id);
  Put16(u, sport);
  Put16(u + 2, dport);
  Put16(u + 4, static_cast<std::uint32_t>(l4));
  Put16(u + 6, 0);
  if (!payload.empty()) std::memcpy(u + 8, payload.data(), payload.size());
  std::uint16_t ck = InternetChecksum(Bytes(u, l4), pseudo);
  Put16(u + 6, ck == 0 ? 0xffff : ck);
  return pkt;
}

std::vector<std::uint8_t> BuildIpv4Tcp(std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
                                       std::uint16_t dport, std::uint32_t seq, std::uint32_t ack,
                                       std::uint8_t flags, Bytes payload, std::uint16_t ip_id) {
  if (payload.size() > kMaxPayload) payload = payload.first(kMaxPayload);
  const std::size_t l4 = 20 + payload.size();
  std::vector<std::uint8_t> pkt(20 + l4);
  std::uint8_t* t = pkt.data() + 20;
  const std::uint32_t pseudo = Ipv4Header(pkt.data(), src, dst, 6, l4, ip_id);
  Put16(t, sport);
  Put16(t + 2, dport);
  Put32(t + 4, seq);
  Put32(t + 8, (flags & kTcpAck) ? ack : 0);
  t[12] = 5 << 4;
  t[13] = flags;
  Put16(t + 14, 65535);
  Put16(t + 16, 0);
  Put16(t + 18, 0);
  if (!payload.empty()) std::memcpy(t + 20, payload.data(), payload.size());
  Put16(t + 16, InternetChecksum(Bytes(t, l4), pseudo));
  return pkt;
}

PcapWriter::~PcapWriter() { Close(); }

Status PcapWriter::Open(const std::string& path) {
  Close();
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) return Status::Error("SIM-11", "cannot open pcap file " + path);
  PutLe32(file_, 0xa1b2c3d4);
  const std::uint8_t ver[4] = {2, 0, 4, 0};  // major 2, minor 4 (little-endian u16s)
  std::fwrite(ver, 1, 4, file_);
  PutLe32(file_, 0);       // thiszone
  PutLe32(file_, 0);       // sigfigs
  PutLe32(file_, 65535);   // snaplen
  PutLe32(file_, kLinktypeRaw);
  return Status();
}

void PcapWriter::Close() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

void PcapWriter::Record(TimeUs t, const std::vector<std::uint8_t>& pkt, std::size_t orig_len) {
  if (file_ == nullptr) return;
  PutLe32(file_, static_cast<std::uint32_t>(t / kSeconds));
  PutLe32(file_, static_cast<std::uint32_t>(t % kSeconds));
  PutLe32(file_, static_cast<std::uint32_t>(pkt.size()));
  PutLe32(file_, static_cast<std::uint32_t>(orig_len));
  std::fwrite(pkt.data(), 1, pkt.size(), file_);
  ++packets_;
}

void PcapWriter::WriteUdp(TimeUs t, std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
                          std::uint16_t dport, Bytes payload) {
  if (file_ == nullptr) return;
  Record(t, BuildIpv4Udp(src, sport, dst, dport, payload, ip_id_++), 28 + payload.size());
}

void PcapWriter::WriteTcp(TimeUs t, std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
                          std::uint16_t dport, std::uint32_t seq, std::uint32_t ack,
                          std::uint8_t flags, Bytes payload) {
  if (file_ == nullptr) return;
  Record(t, BuildIpv4Tcp(src, sport, dst, dport, seq, ack, flags, payload, ip_id_++),
         40 + payload.size());
}

namespace {
void Le16(std::vector<std::uint8_t>& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void Le32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  Le16(b, v & 0xffff);
  Le16(b, v >> 16);
}
void Pad4(std::vector<std::uint8_t>& b) {
  while (b.size() % 4 != 0) b.push_back(0);
}
}  // namespace

PcapngWriter::~PcapngWriter() { Close(); }

Status PcapngWriter::Open(const std::string& path) {
  Close();
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) return Status::Error("SIM-11", "cannot open pcap file " + path);
  std::vector<std::uint8_t> shb;
  Le32(shb, 0x1A2B3C4D);  // byte-order magic
  Le16(shb, 1);           // major
  Le16(shb, 0);           // minor
  Le32(shb, 0xffffffff);  // section length: unknown (-1)
  Le32(shb, 0xffffffff);
  Block(0x0A0D0D0A, shb);
  std::vector<std::uint8_t> idb;
  Le16(idb, kLinktypeRaw);
  Le16(idb, 0);
  Le32(idb, 65535);  // snaplen; timestamps in us (the default if_tsresol)
  Block(1, idb);
  return Status();
}

void PcapngWriter::Close() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  named_.clear();
}

void PcapngWriter::Block(std::uint32_t type, const std::vector<std::uint8_t>& body) {
  if (file_ == nullptr) return;
  std::vector<std::uint8_t> b;
  const std::uint32_t len = static_cast<std::uint32_t>(12 + body.size());
  Le32(b, type);
  Le32(b, len);
  b.insert(b.end(), body.begin(), body.end());
  Le32(b, len);
  std::fwrite(b.data(), 1, b.size(), file_);
}

void PcapngWriter::NameHost(std::uint32_t ipv4, const std::string& name) {
  if (file_ == nullptr || name.empty() || std::find(named_.begin(), named_.end(), ipv4) != named_.end()) return;
  named_.push_back(ipv4);
  std::vector<std::uint8_t> nrb;
  Le16(nrb, 1);  // nrb_record_ipv4
  const std::string n = name.substr(0, 200);
  Le16(nrb, static_cast<std::uint32_t>(4 + n.size() + 1));
  for (int shift = 24; shift >= 0; shift -= 8) nrb.push_back(static_cast<std::uint8_t>(ipv4 >> shift));
  nrb.insert(nrb.end(), n.begin(), n.end());
  nrb.push_back(0);
  Pad4(nrb);
  Le32(nrb, 0);  // nrb_record_end
  Block(4, nrb);
}

void PcapngWriter::Packet(TimeUs t, const std::vector<std::uint8_t>& pkt, std::size_t orig_len,
                          const std::string& comment) {
  if (file_ == nullptr) return;
  std::vector<std::uint8_t> epb;
  const auto ts = static_cast<std::uint64_t>(t < 0 ? 0 : t);
  Le32(epb, 0);  // interface 0
  Le32(epb, static_cast<std::uint32_t>(ts >> 32));
  Le32(epb, static_cast<std::uint32_t>(ts));
  Le32(epb, static_cast<std::uint32_t>(pkt.size()));
  Le32(epb, static_cast<std::uint32_t>(orig_len));
  epb.insert(epb.end(), pkt.begin(), pkt.end());
  Pad4(epb);
  if (!comment.empty()) {
    const std::string c = comment.substr(0, 1000);
    Le16(epb, 1);  // opt_comment
    Le16(epb, static_cast<std::uint32_t>(c.size()));
    epb.insert(epb.end(), c.begin(), c.end());
    Pad4(epb);
    Le32(epb, 0);  // opt_endofopt
  }
  Block(6, epb);
  ++packets_;
}

void PcapngWriter::WriteUdp(TimeUs t, std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
                            std::uint16_t dport, Bytes payload, const std::string& comment) {
  Packet(t, BuildIpv4Udp(src, sport, dst, dport, payload, ip_id_++), 28 + payload.size(), comment);
}

void PcapngWriter::WriteTcp(TimeUs t, std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
                            std::uint16_t dport, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
                            Bytes payload, const std::string& comment) {
  Packet(t, BuildIpv4Tcp(src, sport, dst, dport, seq, ack, flags, payload, ip_id_++), 40 + payload.size(), comment);
}

}  // namespace mcpsim::sim
