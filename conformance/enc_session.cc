// EncSession (enc_session.h): sealing, resending as fresh envelopes, and the
// ENC-3/ENC-5 bookkeeping of one encrypted-UDP party of a case.
#include "conformance/enc_session.h"

#include <algorithm>
#include <limits>

#include "core/rng.h"
#include "reference/transport/retry.h"

namespace mcpsim::conformance {

namespace enc = reference::enc;

namespace {

enc::SenderId FreshSender(Ctx& c) {
  Rng rng(c.Fresh());
  return enc::NewSenderId(rng);
}

std::string FirstLine(const std::string& plain) {
  const std::size_t eol = plain.find("\r\n");
  return eol == std::string::npos ? plain : plain.substr(0, eol) + (eol + 2 < plain.size() ? " …" : "");
}

}  // namespace

const enc::Opened* EncGot::EnvelopeOf(const std::string& word, std::uint32_t trid,
                                      std::optional<std::uint8_t> kid) const {
  for (std::size_t i = 0; i < answers.size(); ++i) {
    const enc::Opened& o = opened[answer_envelope[i]];
    if (answers[i].word == word && answers[i].trid == trid && (!kid || o.key_id == *kid)) return &o;
  }
  return nullptr;
}

EncSession::EncSession(Ctx& ctx, std::string_view who) : ctx_(ctx), sealer_(FreshSender(ctx)) {
  if (ctx_.target().udps_keys.empty()) return;
  key_id_ = ctx_.target().udps_keys.begin()->first;
  auto h = ctx_.Open("udps", who);
  if (h.ok()) handle_ = *h;
}

std::set<EncSession::Key> EncSession::AnswerKeys(const std::string& plain, std::uint8_t kid) {
  std::set<Key> keys;
  for (const wire::Command& c : Decode(plain)) {
    if (c.status || c.word.size() < 2 || c.word[0] != 'R' || c.word == "RPAD") continue;
    keys.emplace(kid, reference::AnswerWord(c.word), c.trid);
  }
  return keys;
}

std::string EncSession::Seal(const std::string& plain, std::optional<std::uint8_t> kid) {
  const std::uint8_t id = kid.value_or(key_id_);
  auto key = ctx_.target().udps_keys.find(id);
  if (key == ctx_.target().udps_keys.end()) return std::string();
  auto e = sealer_.Seal(id, key->second, plain);
  if (!e.ok()) return std::string();
  sealed_[*e] = AnswerKeys(plain, id);
  ctx_.Plain(handle_, true, plain);
  return *e;
}

void EncSession::Send(const std::string& bytes) {
  if (handle_ < 0) return;
  (void)ctx_.Send(handle_, bytes);
  auto it = sealed_.find(bytes);
  if (it == sealed_.end()) return;
  for (const Key& k : it->second) {
    carried_[k].insert(bytes);
    seq_.emplace(k, seq_.size());
  }
}

std::string EncSession::Request(const std::string& plain, std::optional<std::uint8_t> kid) {
  const std::uint8_t id = kid.value_or(key_id_);
  std::string e = Seal(plain, id);
  Send(e);
  const int rs = ctx_.target().resend_ms;
  const std::int64_t interval_us = static_cast<std::int64_t>(rs > 0 ? rs : ctx_.io_timeout_ms()) * 1000;
  outstanding_.push_back(Outstanding{plain, id, AnswerKeys(plain, id), 1, ctx_.NowUs() + interval_us});
  return e;
}

void EncSession::Take(const std::string& d, EncGot& g) {
  if (!received_.insert(d).second) {
    ++g.duplicates;
    // Only the network repeats an envelope; on a direct path the target did
    // (ENC-3: the counter advances for every datagram, resends included).
    if (ctx_.target().resend_ms == 0 && nonce_reuse_.empty() && opened_.count(d)) {
      nonce_reuse_ = "the target sent the same envelope twice (ENC-3: a new counter for every datagram, resends included)";
    }
    return;
  }
  enc::Opener opener(ctx_.target().udps_keys);  // fresh: the window is judged here, not by the opener
  auto o = opener.Open(0, d);
  if (!o) {
    ++(ctx_.target().corrupting_network ? g.damaged : g.unopenable);
    return;
  }
  opened_.insert(d);
  ctx_.Plain(handle_, false, o->plain);
  const auto nonce = std::make_pair(o->key_id, std::make_pair(o->sender, o->counter));
  auto [at, fresh] = nonces_.emplace(nonce, d);
  if (!fresh && at->second != d && nonce_reuse_.empty()) {
    nonce_reuse_ = "two different envelopes from the target under one key id, sender id and counter " +
                   std::to_string(o->counter) + " (ENC-3: a (key, nonce) pair is never reused)";
  }
  std::set<Key> in_this;
  for (const wire::Command& c : Decode(o->plain, &g.decode_errors)) {
    if (!c.status) continue;
    const Key k{o->key_id, c.word, c.trid};
    if (!in_this.insert(k).second) {
      g.repeats.push_back(c);
      continue;
    }
    if (answered_[k]++ == 0) {
      g.answers.push_back(c);
      g.answer_envelope.push_back(g.opened.size());
    } else {
      g.repeats.push_back(c);
    }
  }
  g.opened.push_back(std::move(*o));
}

bool EncSession::AllAnswered() const {
  for (const Outstanding& o : outstanding_) {
    for (const Key& k : o.keys) {
      if (!answered_.count(k)) return false;
    }
  }
  return true;
}

void EncSession::Finish(EncGot& g) const {
  std::vector<std::size_t> order(g.answers.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto rank = [&](std::size_t i) {
    auto it = seq_.find({g.opened[g.answer_envelope[i]].key_id, g.answers[i].word, g.answers[i].trid});
    return it == seq_.end() ? std::numeric_limits<std::size_t>::max() : it->second;
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rank(a) < rank(b); });
  std::vector<wire::Command> answers;
  std::vector<std::size_t> envelopes;
  for (std::size_t i : order) {
    answers.push_back(std::move(g.answers[i]));
    envelopes.push_back(g.answer_envelope[i]);
  }
  g.answers = std::move(answers);
  g.answer_envelope = std::move(envelopes);
}

EncGot EncSession::Collect(int first_wait_ms) {
  EncGot g;
  if (handle_ < 0) return g;
  bool got = false;  // sticky per wait: the loop may ask `drain` again after it said yes
  auto drain = [&] {
    const std::vector<std::string> ds = ctx_.Drain(handle_);
    for (const std::string& d : ds) Take(d, g);
    got = got || !ds.empty();
    return got;
  };
  int wait = first_wait_ms;
  for (;;) {
    got = false;
    (void)ctx_.WaitUntil(wait, drain);
    if (!got || ctx_.Expired()) break;
    wait = ctx_.quiet_ms();
  }
  Finish(g);
  return g;
}

EncGot EncSession::Await() {
  if (outstanding_.empty()) return Collect(ctx_.io_timeout_ms());
  EncGot g;
  if (handle_ < 0) return g;
  const int rs = ctx_.target().resend_ms;
  const int max_sends = rs > 0 ? kEncMaxSends : 1;
  const std::int64_t interval_us = static_cast<std::int64_t>(rs > 0 ? rs : ctx_.io_timeout_ms()) * 1000;
  auto drain = [&] {
    for (const std::string& d : ctx_.Drain(handle_)) Take(d, g);
    return AllAnswered();
  };
  auto answered = [&](const Outstanding& o) {
    return std::all_of(o.keys.begin(), o.keys.end(), [&](const Key& k) { return answered_.count(k) > 0; });
  };
  for (;;) {
    drain();
    if (AllAnswered() || ctx_.Expired()) break;
    const std::int64_t now = ctx_.NowUs();
    std::int64_t due = std::numeric_limits<std::int64_t>::max();
    for (Outstanding& o : outstanding_) {
      if (answered(o)) continue;
      if (now >= o.next_us) {
        if (o.sends >= max_sends) continue;  // given up
        ctx_.Note("resend as a fresh envelope (ENC-8): " + FirstLine(o.plain));
        Send(Seal(o.plain, o.key_id));
        ++o.sends;
        ++g.resends;
        o.next_us = now + interval_us;
      }
      due = std::min(due, o.next_us);
    }
    if (due == std::numeric_limits<std::int64_t>::max()) break;  // every unanswered request given up
    (void)ctx_.WaitUntil(static_cast<int>((due - now + 999) / 1000), drain);
  }
  const bool all = AllAnswered();
  outstanding_.clear();
  if (all) {
    // Late extras (repeats, answers the case must not get): one quiet period.
    EncGot more = Collect(ctx_.quiet_ms());
    for (auto& o : more.opened) g.opened.push_back(std::move(o));
    const std::size_t base = g.opened.size() - more.opened.size();
    for (std::size_t i = 0; i < more.answers.size(); ++i) {
      g.answers.push_back(std::move(more.answers[i]));
      g.answer_envelope.push_back(base + more.answer_envelope[i]);
    }
    for (auto& r : more.repeats) g.repeats.push_back(std::move(r));
    g.duplicates += more.duplicates;
    g.unopenable += more.unopenable;
    g.damaged += more.damaged;
    for (auto& e : more.decode_errors) g.decode_errors.push_back(std::move(e));
  }
  Finish(g);
  return g;
}

std::optional<std::string> EncSession::Violation() const {
  if (!nonce_reuse_.empty()) return nonce_reuse_;
  for (const auto& [k, n] : answered_) {
    auto it = carried_.find(k);
    const std::size_t copies = it == carried_.end() ? 0 : it->second.size();
    if (n <= copies) continue;
    const auto& [kid, word, trid] = k;
    const std::string what = word + " " + std::to_string(trid) + " under key id " + std::to_string(kid);
    if (copies == 0) {
      for (const auto& [sent, envelopes] : carried_) {
        if (std::get<1>(sent) == word && std::get<2>(sent) == trid) {
          return what + " answers a request sent under key id " + std::to_string(std::get<0>(sent)) +
                 " (ENC-2: the answer carries the key id of the datagram it answers)";
        }
      }
    }
    return what + " came in " + std::to_string(n) + " envelopes, but only " + std::to_string(copies) +
           " valid envelope(s) carrying its request were sent: the target accepted a replayed or invalid "
           "envelope (ENC-5: each copy is accepted once; ENC-4)";
  }
  return std::nullopt;
}

std::size_t EncSession::CopiesSent(const std::string& word, std::uint32_t trid,
                                   std::optional<std::uint8_t> kid) const {
  auto it = carried_.find({kid.value_or(key_id_), reference::AnswerWord(word), trid});
  return it == carried_.end() ? 0 : it->second.size();
}

std::size_t EncSession::AnswerEnvelopes(const std::string& answer_word, std::uint32_t trid,
                                        std::optional<std::uint8_t> kid) const {
  auto it = answered_.find({kid.value_or(key_id_), answer_word, trid});
  return it == answered_.end() ? 0 : it->second;
}

}  // namespace mcpsim::conformance
