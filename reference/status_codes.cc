#include "reference/status_codes.h"

namespace mcpsim::reference {

std::string_view StatusName(std::uint16_t code) {
  switch (static_cast<StatusCode>(code)) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kUnknownCommand: return "unknown-command";
    case StatusCode::kMalformed: return "malformed";
    case StatusCode::kBadParamCount: return "bad-param-count";
    case StatusCode::kBadParam: return "bad-param";
    case StatusCode::kBadPayload: return "bad-payload";
    case StatusCode::kLineTooLong: return "line-too-long";
    case StatusCode::kNotAuthenticated: return "not-authenticated";
    case StatusCode::kAuthFailed: return "auth-failed";
    case StatusCode::kUnknownSession: return "unknown-session";
    case StatusCode::kCaptchaWrong: return "captcha-wrong";
    case StatusCode::kCaptchaUsed: return "captcha-used";
    case StatusCode::kAccountExists: return "account-exists";
    case StatusCode::kBadAccountName: return "bad-account-name";
    case StatusCode::kBadPassword: return "bad-password";
    case StatusCode::kLoggedInElsewhere: return "logged-in-elsewhere";
    case StatusCode::kWrongState: return "wrong-state";
    case StatusCode::kAlreadyLoggedIn: return "already-logged-in";
    case StatusCode::kUnknownCall: return "unknown-call";
    case StatusCode::kNotMember: return "not-member";
    case StatusCode::kContactOffline: return "contact-offline";
    case StatusCode::kUnknownContact: return "unknown-contact";
    case StatusCode::kBlocked: return "blocked";
    case StatusCode::kNoCapability: return "no-capability";
    case StatusCode::kUnknownTransfer: return "unknown-transfer";
    case StatusCode::kTransferState: return "transfer-state";
    case StatusCode::kNotAllowed: return "not-allowed";
    case StatusCode::kAlreadyMember: return "already-member";
    case StatusCode::kTooLarge: return "too-large";
    case StatusCode::kListFull: return "list-full";
    case StatusCode::kTextTooLong: return "text-too-long";
    case StatusCode::kRateLimited: return "rate-limited";
    case StatusCode::kBadFormat: return "bad-format";
    case StatusCode::kPadRequired: return "pad-required";
    case StatusCode::kInternal: return "internal";
    case StatusCode::kStorage: return "storage";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kUpstream: return "upstream";
  }
  return "unassigned";
}

}  // namespace mcpsim::reference
