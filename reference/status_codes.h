// MCP status codes (reference/PROTOCOL.md §8, clauses [STATUS-*]).
//
// The A-command's StatusCode field: "0" is success (the seed says so); every
// other value is a failure, grouped by hundreds. After a non-zero status an
// answer carries no further parameters unless its command's clause says so.
#pragma once

#include <cstdint>
#include <string_view>

namespace mcpsim::reference {

enum class StatusCode : std::uint16_t {
  kOk = 0,

  // 1xx syntax: the request could not be understood.
  kUnknownCommand = 100,      // well-formed line, command word not defined for this role
  kMalformed = 101,           // line violates the wire grammar (WIRE-*)
  kBadParamCount = 102,       // wrong number of parameters for the command
  kBadParam = 103,            // a parameter's value is invalid (format, range)
  kBadPayload = 104,          // payload length/offset/chunk inconsistent
  kLineTooLong = 105,         // line or datagram exceeds the LIM-* limits

  // 2xx authentication and accounts.
  kNotAuthenticated = 200,    // command needs a logged-in session
  kAuthFailed = 201,          // wrong account or password
  kUnknownSession = 202,      // RS SessionId or SG token unknown or expired
  kCaptchaWrong = 203,        // captcha text does not match
  kCaptchaUsed = 204,         // captcha already consumed (single use) or expired
  kAccountExists = 205,       // REG for an existing account
  kBadAccountName = 206,      // account name violates the naming rules
  kBadPassword = 207,         // password violates the password rules
  kLoggedInElsewhere = 208,   // this session was replaced by a newer login

  // 3xx state: the request is valid but not now / not here.
  kWrongState = 300,          // command not expected in the current state
  kAlreadyLoggedIn = 301,
  kUnknownCall = 302,         // CallId unknown
  kNotMember = 303,           // sender is not a member of the conversation
  kContactOffline = 304,
  kUnknownContact = 305,      // not on the contact list / no such account
  kBlocked = 306,             // the contact blocks the sender
  kNoCapability = 307,        // a party lacks the needed capability (file, voice, nudge)
  kUnknownTransfer = 308,     // file transfer id unknown
  kTransferState = 309,       // transfer already accepted/rejected/cancelled
  kNotAllowed = 310,          // command never allowed from this sender (e.g. client nudge)
  kAlreadyMember = 311,

  // 4xx limits.
  kTooLarge = 400,            // file or voice > 2097152 bytes
  kListFull = 401,            // contact list (1000), conversation (20) or offline queue (100) full
  kTextTooLong = 402,         // message text over the limit
  kRateLimited = 403,
  kBadFormat = 404,           // media format not allowed (voice not GSM 6.10)
  kPadRequired = 405,         // unauthenticated UDP answer larger than its request; resend padded (AMP-2)

  // 5xx server.
  kInternal = 500,
  kStorage = 501,
  kUnavailable = 502,         // busy / overloaded / shutting down
  kUpstream = 503,            // the Messenger back end failed
};

constexpr std::uint16_t Code(StatusCode c) { return static_cast<std::uint16_t>(c); }

// Short English name ("ok", "unknown-command", …); "unassigned" otherwise.
std::string_view StatusName(std::uint16_t code);

}  // namespace mcpsim::reference
