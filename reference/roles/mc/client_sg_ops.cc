// McClient: the SG user actions (forwarded to the current SgSession), the
// privacy agreement (PRIV-1/2) and op names.
#include "reference/roles/mc/client.h"

namespace mcpsim::reference {

const char* McOpName(McOp op) {
  switch (op) {
    case McOp::kDispatch: return "dispatch";
    case McOp::kCaptcha: return "captcha";
    case McOp::kRegister: return "register";
    case McOp::kUpload: return "upload";
    case McOp::kAd: return "ad";
    case McOp::kMedia: return "media";
    case McOp::kLogin: return "login";
    case McOp::kLogout: return "logout";
    case McOp::kSetPresence: return "set-presence";
    case McOp::kSetProfile: return "set-profile";
    case McOp::kEditContact: return "edit-contact";
    case McOp::kInvite: return "invite";
    case McOp::kAddMember: return "add-member";
    case McOp::kListMembers: return "list-members";
    case McOp::kSendMessage: return "send-message";
    case McOp::kLeave: return "leave";
    case McOp::kSendOffline: return "send-offline";
    case McOp::kOfferFile: return "offer-file";
    case McOp::kFileDecision: return "file-decision";
    case McOp::kCancelFile: return "cancel-file";
    case McOp::kSendVoice: return "send-voice";
    case McOp::kSendNudge: return "send-nudge";
    case McOp::kContactsChanged: return "contacts-changed";
    case McOp::kPresence: return "presence";
    case McOp::kInvited: return "invited";
    case McOp::kAddedToCall: return "added-to-call";
    case McOp::kMemberAdded: return "member-added";
    case McOp::kMemberLeft: return "member-left";
    case McOp::kMessage: return "message";
    case McOp::kOfflineMessage: return "offline-message";
    case McOp::kFileOffered: return "file-offered";
    case McOp::kFileAccepted: return "file-accepted";
    case McOp::kFileRejected: return "file-rejected";
    case McOp::kFileDone: return "file-done";
    case McOp::kFileFailed: return "file-failed";
    case McOp::kFileUploaded: return "file-uploaded";
    case McOp::kFileCancelled: return "file-cancelled";
    case McOp::kFileReceived: return "file-received";
    case McOp::kVoiceReceived: return "voice-received";
    case McOp::kNudgeReceived: return "nudge-received";
    case McOp::kKicked: return "kicked";
    case McOp::kSessionLost: return "session-lost";
  }
  return "?";
}

void McClient::AcceptPrivacyAgreement() {
  privacy_accepted_ = true;
  if (cache_) (void)cache_->SetPrivacyAccepted(config_.device_id);  // PRIV-2
}

std::uint64_t McClient::Login(TimeUs now, const std::string& account, const std::string& password) {
  if (!privacy_accepted_) return Refuse(now, McOp::kLogin, "privacy agreement not accepted (PRIV-1)");
  if (update_required()) return Refuse(now, McOp::kLogin, "client update required (DP-2)");
  const bool tcp = config_.sg_transport == "tcp" ||
                   (config_.sg_transport == "auto" && sg_endpoint_.port == 0 && sg_tcp_endpoint_.port != 0);
  const Endpoint& sg = tcp ? sg_tcp_endpoint_ : sg_endpoint_;
  if (sg.port == 0) {
    return Refuse(now, McOp::kLogin, std::string("no SG ") + (tcp ? "TCP" : "UDP") + " address: query DP first (ARCH-2)");
  }
  if (session_ && session_->state() != SgState::kClosed) return Refuse(now, McOp::kLogin, "a session is open");
  // TRID-4: a fresh random counter per session. The answers to the previous
  // session's server requests stay cached for their TTL when the new session
  // talks to the same SG endpoint: a delayed duplicate of an old push must
  // not be executed again (G-80); SG's random first push trid per session
  // keeps the new session's requests from colliding with them.
  McEventSink& sink = *this;
  const auto first_trid = static_cast<std::uint32_t>(rng_.Range(1, 2147483647));
  std::optional<std::uint64_t> conn;
  if (tcp) conn = (std::uint64_t{1} << 63) | ++sg_conns_;  // never an accepted stream id
  AnswerCache answers;
  if (session_) {
    sg_resends_before_ += session_->link_stats().resends;  // keep the count across logins
    if (session_->server() == sg) answers = session_->TakeServerAnswers();
  }
  session_ = std::make_unique<SgSession>(config_, sg, first_trid, cache(), sink, conn);
  session_->AdoptServerAnswers(std::move(answers));
  return session_->Login(now, account, password);
}

#define MCPSIM_SG_FORWARD(op, call)                                  \
  if (!session_) return Refuse(now, op, "not logged in: call Login first"); \
  return session_->call

std::uint64_t McClient::Logout(TimeUs now) {
  MCPSIM_SG_FORWARD(McOp::kLogout, Logout(now));
}
std::uint64_t McClient::SetPresence(TimeUs now, const std::string& presence, std::uint32_t caps) {
  MCPSIM_SG_FORWARD(McOp::kSetPresence, SetPresence(now, presence, caps));
}
std::uint64_t McClient::SetProfile(TimeUs now, const std::string& nickname, const std::string& psm,
                                   const std::string& avatar_id) {
  MCPSIM_SG_FORWARD(McOp::kSetProfile, SetProfile(now, nickname, psm, avatar_id));
}
std::uint64_t McClient::EditContact(TimeUs now, const std::string& op_token, const std::string& account) {
  MCPSIM_SG_FORWARD(McOp::kEditContact, EditContact(now, op_token, account));
}
std::uint64_t McClient::Invite(TimeUs now, const std::string& account) {
  MCPSIM_SG_FORWARD(McOp::kInvite, Invite(now, account));
}
std::uint64_t McClient::AddMember(TimeUs now, std::uint32_t call, const std::string& account) {
  MCPSIM_SG_FORWARD(McOp::kAddMember, AddMember(now, call, account));
}
std::uint64_t McClient::ListMembers(TimeUs now, std::uint32_t call) {
  MCPSIM_SG_FORWARD(McOp::kListMembers, ListMembers(now, call));
}
std::uint64_t McClient::SendMessage(TimeUs now, std::uint32_t call, const std::string& text) {
  MCPSIM_SG_FORWARD(McOp::kSendMessage, SendMessage(now, call, text));
}
std::uint64_t McClient::Leave(TimeUs now, std::uint32_t call) {
  MCPSIM_SG_FORWARD(McOp::kLeave, Leave(now, call));
}
std::uint64_t McClient::SendOffline(TimeUs now, const std::string& account, const std::string& text) {
  MCPSIM_SG_FORWARD(McOp::kSendOffline, SendOffline(now, account, text));
}
std::uint64_t McClient::OfferFile(TimeUs now, std::uint32_t call, const std::string& name,
                                  std::string bytes) {
  MCPSIM_SG_FORWARD(McOp::kOfferFile, OfferFile(now, call, name, std::move(bytes)));
}
std::uint64_t McClient::AcceptFile(TimeUs now, std::uint32_t transfer) {
  MCPSIM_SG_FORWARD(McOp::kFileDecision, AcceptFile(now, transfer));
}
std::uint64_t McClient::RejectFile(TimeUs now, std::uint32_t transfer) {
  MCPSIM_SG_FORWARD(McOp::kFileDecision, RejectFile(now, transfer));
}
std::uint64_t McClient::CancelFile(TimeUs now, std::uint32_t transfer) {
  MCPSIM_SG_FORWARD(McOp::kCancelFile, CancelFile(now, transfer));
}
std::uint64_t McClient::SendVoice(TimeUs now, std::uint32_t call, std::string clip) {
  MCPSIM_SG_FORWARD(McOp::kSendVoice, SendVoice(now, call, std::move(clip)));
}
std::uint64_t McClient::SendNudge(TimeUs now, std::uint32_t call) {
  MCPSIM_SG_FORWARD(McOp::kSendNudge, SendNudge(now, call));
}

#undef MCPSIM_SG_FORWARD

namespace {
constexpr std::size_t kAvatarFetches = 2;  // concurrent MS downloads
}  // namespace

void McClient::CollectAvatars(TimeUs now) {
  auto wanted = session_->TakeAvatarWanted();
  if (wanted.empty() && (!svc_ || svc_->avatar_queue_.empty())) return;  // no cold state needed
  for (auto& [contact, id] : wanted) {
    svc().avatar_queue_.push_back({session_->account(), std::move(contact), std::move(id)});
  }
  while (svc().avatars_in_flight_ < kAvatarFetches && !svc().avatar_queue_.empty()) {
    auto job = std::move(svc().avatar_queue_.front());
    svc().avatar_queue_.erase(svc().avatar_queue_.begin());
    auto uri = ParseUri(svc().ms_ + "/media/" + job[2]);  // MS-1
    if (svc().ms_.empty() || !uri || (uri->scheme != "http" && uri->scheme != "https")) continue;
    HttpOp op;
    op.op = McOp::kMedia;
    op.to = uri->endpoint;
    op.request.method = "GET";
    op.request.target = uri->path;
    op.avatar = std::move(job);
    ++svc().avatars_in_flight_;
    SendHttp(now, std::move(op));
  }
}

void McClient::AvatarDone(TimeUs now, const HttpOp& op, const HttpResponse* resp) {
  --svc().avatars_in_flight_;
  const auto& [account, contact, id] = *op.avatar;
  if (resp && resp->status == 200 && cache_) {
    (void)cache_->SaveAvatar(config_.device_id, account, contact, id, resp->body);
  }
  if (session_) CollectAvatars(now);
}

}  // namespace mcpsim::reference
