// Base64 (RFC 4648 §4, standard alphabet, '=' padding) for the JSON form of
// payloads (`mcpsim wire decode/encode`). Pure, never throws.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace mcpsim::wire {

// Appends the padded encoding of `bytes` to `out`.
void AppendBase64(std::string_view bytes, std::string& out);
std::string Base64Encode(std::string_view bytes);

// Strict decoding: length a multiple of 4, only alphabet characters, '=' only
// as final padding, unused bits of the last symbol zero (so every byte string
// has exactly one accepted encoding). Errors cite clause "B64" with the offset
// of the offending character.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace mcpsim::wire
