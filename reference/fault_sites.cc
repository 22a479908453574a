#include "reference/fault_sites.h"

namespace mcpsim::reference {

const std::vector<FaultSite>& FaultSites() {
  static const std::vector<FaultSite> kSites = {
      // ---- transport: answers, pushes, client datagrams ----
      {"server.udp.unpacked", "transport", "UDP-7",
       "a server sends each answer of a request datagram in its own datagram (packing is a MAY)"},
      {"server.udp.reorder", "transport", "TRID-9, UDP-7",
       "a server sends the answers of one request datagram in reverse order, one per datagram "
       "(requesters accept answers in any order)"},
      {"server.udp.duplicate", "transport", "TRID-6, AMP-1",
       "a server sends an answer datagram twice, as a duplicating network would (validated peers "
       "only, so AMP-1 holds; the second copy matches nothing)"},
      {"push.window.shrink", "transport", "LIM-20, PAY-8, SG-SESS-4",
       "a push channel admits at most one more request this time (the window is a maximum; the "
       "queue stays FIFO and moves on with the next answer)"},
      {"push.udp.duplicate", "transport", "TIMER-8",
       "a server-initiated request goes out twice on UDP (the client answers the copy from its "
       "answer cache and executes it once)"},
      {"sg.push.unpacked", "sg", "UDP-7",
       "SG sends each server-initiated request of a flush in its own datagram"},
      {"mc.udp.duplicate", "mc", "TIMER-5, TIMER-8",
       "the MC sends a datagram twice, as a duplicating network would (servers replay the cached "
       "answer, never execute twice)"},
      {"mc.udp.unpacked", "mc", "UDP-5, CS-7, AMP-3",
       "the MC sends each queued command in its own datagram (batching is a MAY; an RPAD split "
       "from its request earns a 405 and a padded resend)"},
      // ---- store: every call may fail with STORE-1, callers answer 501 ----
      {"store.account.create.fail", "store", "STORE-1, RS-11",
       "creating an account fails (nothing written); RS answers REG 501"},
      {"store.account.get.fail", "store", "STORE-1",
       "reading an account fails; the request that needed it is answered 501"},
      {"store.upload.add.fail", "store", "STORE-1, CS-1",
       "recording an upload fails (nothing written); CS answers RUP 501"},
      {"store.media.get.fail", "ms", "STORE-1, MS-2",
       "reading a media object fails; MS answers 503 (server error, the client may retry)"},
      {"store.contact.edit.fail", "store", "STORE-1, SG-CONT-1",
       "a contact-list edit fails (list unchanged, version unchanged); SG answers 501"},
      {"store.profile.update.fail", "store", "STORE-1, SG-PROF-1",
       "a profile update fails (nothing written); SG answers 501"},
      {"store.offline.add.fail", "store", "STORE-1, SG-OFF-1",
       "storing an offline message fails; SG answers ROM 501, so nothing was acknowledged"},
      {"store.offline.delete.fail", "store", "STORE-1, SG-OFF-3, SG-OFF-6",
       "deleting a delivered offline message fails; it stays queued and is offered again at the "
       "next login, where the MC answers APN 0 without showing it twice"},
      // ---- role decisions the spec leaves to the server ----
      {"sg.poll.interval.short", "sg", "TIMER-11, HTTP-9, G-66",
       "SG's APOL asks for the next RPOL after 1/3 of the usual interval (the interval is the SG's "
       "choice; the client polls more often)"},
      {"cs.upload.rate_limited", "cs", "CS-3, CS-4",
       "CS rate-limits this RUP and answers 403 (recording nothing)"},
      {"cs.ad.rate_limited", "cs", "CS-3", "CS rate-limits this RAD and answers 403"},
      {"rs.captcha.pgm", "rs", "RS-3, RS-14",
       "RS renders this captcha as a binary PGM (P5) instead of PNG"},
      {"dp.sg.unavailable", "dp", "DP-3",
       "DP judges every SG unavailable for this RQQW and answers 502"},
      {"mc.cache.unusable", "mc", "CACHE-4",
       "the MC treats its client cache as unusable at this login (listVersion 0, full sync)"},
  };
  return kSites;
}

const FaultSite* FindFaultSite(std::string_view name) {
  for (const FaultSite& s : FaultSites()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace mcpsim::reference
