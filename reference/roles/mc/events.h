// What the MC engine reports to its UI (or a scenario / checker): one McEvent
// per user action (op_id != 0, exactly once) and one per user-visible thing the
// servers pushed (op_id == 0, a "notification").
//
// Field use per op (unused fields stay empty / 0):
//   user actions (op_id != 0): outcome + status; `params` = the decoded answer
//     params on kOk; `detail` explains kRefused / kGaveUp.
//     kLogin      ok once the session is ACTIVE (APS 0):
//                 params {mode, count, listVersion} of the initial sync,
//                 object_id = listVersion
//     kInvite     call_id = the new callId (ASI)
//     kSendOffline object_id = msgId (AOM)
//     kOfferFile  object_id = transferId (AOI)
//     kFileDecision / kCancelFile  object_id = transferId
//     kSendVoice  ok when every chunk was answered 0; object_id = voiceId
//     kSetProfile params = the APS profile {version, nickname, psm, avatarId}
//     kEditContact params {listVersion}
//     kListMembers params = the member accounts (ACM)
//   notifications (op_id == 0):
//     kContactsChanged  a later (non-initial) sync committed:
//                       params {mode, count, listVersion}, object_id = listVersion
//     kPresence         account, text = presence token, object_id = caps
//     kInvited          call_id, account = inviter (RRI)
//     kAddedToCall      call_id, account = adder (RRR)
//     kMemberAdded      call_id, account = added, text = adder (RAC)
//     kMemberLeft       call_id, account, text = reason, object_id = ended (RRB)
//     kMessage          call_id, account = sender, text (RRM)
//     kOfflineMessage   object_id = msgId, account = sender, text,
//                       params {timestamp_ms} (RPN, shown once per msgId)
//     kFileOffered      call_id, object_id = transferId, account = sender,
//                       text = file name, params {size} (ROA)
//     kFileAccepted / kFileRejected / kFileDone / kFileFailed
//                       object_id = transferId (sender side: ROR from SG, or
//                       local failure: a chunk gave up / was refused, detail)
//     kFileUploaded     object_id = transferId: every chunk was answered 0
//     kFileCancelled    object_id = transferId (receiver side: ROC from SG)
//     kFileReceived     call_id, object_id = transferId, account = sender,
//                       text = file name, data = the file bytes
//     kVoiceReceived    call_id, object_id = voiceId, account = sender,
//                       data = the clip (validated with ValidateVoice)
//     kNudgeReceived    call_id, account = sender (RRN)
//     kKicked           status = ROUT reason (208 / 502); the session is closed
//     kSessionLost      the session ended without ROUT (RPOL gave up, sync
//                       refused per SG-SYNC-6, ...): detail says why
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/env.h"

namespace mcpsim::reference {

enum class McOp : std::uint8_t {
  // DP / RS / CS / MS user actions.
  kDispatch, kCaptcha, kRegister, kUpload, kAd, kMedia,
  // SG user actions.
  kLogin, kLogout, kSetPresence, kSetProfile, kEditContact, kInvite, kAddMember, kListMembers,
  kSendMessage, kLeave, kSendOffline, kOfferFile, kFileDecision, kCancelFile, kSendVoice,
  kSendNudge,  // only with McConfig::nonconforming_send_nudge (SG-NUDGE-3 forbids it)
  // SG notifications (op_id == 0).
  kContactsChanged, kPresence, kInvited, kAddedToCall, kMemberAdded, kMemberLeft, kMessage,
  kOfflineMessage, kFileOffered, kFileAccepted, kFileRejected, kFileDone, kFileFailed,
  kFileUploaded, kFileCancelled, kFileReceived, kVoiceReceived, kNudgeReceived, kKicked,
  kSessionLost,
};
const char* McOpName(McOp op);

struct McEvent {
  enum class Outcome : std::uint8_t {
    kOk,         // status 0 (data/params filled)
    kStatus,     // a non-zero status (in `status`)
    kGaveUp,     // no answer within the retry budget (TIMER-3) / HTTP retries exhausted
    kRefused,    // the client refused to send (PRIV-1, RS-12, DP-2, no address, state, ...)
  };
  std::uint64_t op_id = 0;
  McOp op = McOp::kDispatch;
  Outcome outcome = Outcome::kOk;
  std::uint16_t status = 0;
  std::vector<std::string> params;  // decoded answer params (status 0)
  std::string data;                 // captcha image, media, file or voice bytes
  std::string detail;               // why, for kRefused / kGaveUp
  TimeUs at = 0;
  std::uint32_t call_id = 0;        // SG conversation
  std::uint32_t object_id = 0;      // transferId / msgId / voiceId / listVersion / caps
  std::string account{};            // the other party (sender, inviter, contact)
  std::string text{};               // message text, presence, reason, file name
};

}  // namespace mcpsim::reference
