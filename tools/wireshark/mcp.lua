-- Wireshark/tshark dissector for MCP/MCCP, the Mobile Communication Protocol
-- of mcpsim (reference/PROTOCOL.md; not the Model Context Protocol).
--
-- Dissects MCP command lines in UDP datagrams, TCP streams (reassembled) and
-- HTTP bodies (Content-Type application/x-mcp, and the `q=` form of a DP GET),
-- on the project's ports (UDP 1863 and 7000, TCP 1863) and heuristically on
-- any UDP/TCP port. Per command: word, kind, trid, status with its §8 name,
-- every param decoded (escapes undone, WIRE-6) and named from PROTOCOL.md's
-- parameter tables (filter e.g. `mccp.param.callId == "12"`), payload length,
-- request <-> answer linking by trid per conversation (mccp.response_in,
-- mccp.request_in, mccp.time; run tshark with -2 for response_in), and expert
-- info for wire-grammar violations (WIRE-*, LIM-1/2/4, PAY-2, STATUS-1).
--
-- Use: wireshark -X lua_script:mcp.lua capture.pcap, or copy it into a Lua
-- plugin folder (the mcpsim package installs it into Wireshark's global one).
-- Display filter name: mccp (Wireshark already has an unrelated "mcp"). Wireshark 3.6
-- or newer (Lua 5.2).

local mcp = Proto("mccp", "MCP/MCCP (Mobile Communication Protocol)")

-- §8 status codes (reference/status_codes.h), code -> name.
local status_names = {
  [0] = "ok", [100] = "unknown-command", [101] = "malformed", [102] = "bad-param-count",
  [103] = "bad-param", [104] = "bad-payload", [105] = "line-too-long", [200] = "not-authenticated",
  [201] = "auth-failed", [202] = "unknown-session", [203] = "captcha-wrong", [204] = "captcha-used",
  [205] = "account-exists", [206] = "bad-account-name", [207] = "bad-password",
  [208] = "logged-in-elsewhere", [300] = "wrong-state", [301] = "already-logged-in",
  [302] = "unknown-call", [303] = "not-member", [304] = "contact-offline", [305] = "unknown-contact",
  [306] = "blocked", [307] = "no-capability", [308] = "unknown-transfer", [309] = "transfer-state",
  [310] = "not-allowed", [311] = "already-member", [400] = "too-large", [401] = "list-full",
  [402] = "text-too-long", [403] = "rate-limited", [404] = "bad-format", [405] = "pad-required",
  [500] = "internal", [501] = "storage", [502] = "unavailable", [503] = "upstream",
}

-- Param names per command word, from PROTOCOL.md §6.3 and §7 (request params;
-- for answers the params of status 0). tests/tools/dissector_test checks each
-- name against the command's section of PROTOCOL.md.
local params = {
  RQQW = {"clientVersion", "platform", "deviceId"},
  AQQW = {"update", "latestVersion", "updateUrl", "sg", "rs", "cs", "ms"},
  RAP = {"clientVersion", "deviceId"},
  AAP = {"sessionId", "captchaId", "total", "chunks", "mime"},
  RBIN = {"captchaId", "offset", "total", "length"},
  REG = {"captchaId", "captchaText", "account", "password", "nickname"},
  AEG = {"account"},
  RAT = {"account", "password", "deviceId", "clientVersion", "privacy"},
  AAT = {"token"},
  RSII = {"token", "presence", "caps", "listVersion"},
  RLI = {"presence", "caps"},
  ROUT = {"reason"},
  APOL = {"interval"},
  RCS = {"listVersion", "mode", "count"},
  RCR = {"listVersion", "page", "pages"},  -- then records of 7 (rcr_record)
  RPS = {"baseVersion", "nickname", "psm", "avatarId"},
  APS = {"version", "nickname", "psm", "avatarId"},
  RCE = {"op", "account"},
  ACE = {"listVersion"},
  RNP = {"account", "presence", "caps"},
  RSI = {"account"},
  ASI = {"callId"},
  RRI = {"callId", "inviter"},
  RSR = {"callId", "account"},
  RRR = {"callId", "adder"},
  RAC = {"callId", "added", "adder"},
  RCM = {"callId"},
  ACM = {"n"},  -- then n member accounts
  RSM = {"callId", "text"},
  RRM = {"callId", "sender", "text"},
  RSB = {"callId"},
  RRB = {"callId", "account", "reason", "ended"},
  ROM = {"account", "text"},
  AOM = {"msgId"},
  RPN = {"msgId", "sender", "timestamp", "text"},
  ROI = {"callId", "fileName", "size"},
  AOI = {"transferId"},
  ROA = {"callId", "transferId", "sender", "fileName", "size"},
  ROR = {"transferId", "decision"},
  ROC = {"transferId"},
  ROT = {"transferId", "offset", "total", "length"},
  RSV = {"callId", "voiceId", "offset", "total", "length"},
  RRV = {"callId", "voiceId", "sender", "offset", "total", "length"},
  RRN = {"callId", "sender"},
  RSN = {"callId"},
  RUP = {"mid", "kind", "timestamp", "data"},
  RAD = {"mid", "slot"},
  AAD = {"adId", "imageUrl", "clickUrl", "width", "height"},
  RPAD = {"pad"},
}
-- A contact record in RCR (7 consecutive params, §7.4).
local rcr_record = {"op", "account", "nickname", "psm", "avatarId", "profileVersion", "flags"}
-- Words whose last param is a payload length (PAY-1).
local payload_words = {RBIN = true, ROT = true, RSV = true, RRV = true}

local f = mcp.fields
f.command = ProtoField.string("mccp.command", "Command word")
f.kind = ProtoField.string("mccp.kind", "Kind")
f.trid = ProtoField.uint32("mccp.trid", "Trid")
f.status = ProtoField.uint16("mccp.status", "Status", base.DEC, status_names)
f.status_name = ProtoField.string("mccp.status_name", "Status name")
f.param = ProtoField.string("mccp.param", "Param")
f.payload_len = ProtoField.uint32("mccp.payload_len", "Payload length")
f.payload = ProtoField.bytes("mccp.payload", "Payload")
f.record = ProtoField.uint16("mccp.record", "Contact record")
local ft_resp = frametype and frametype.RESPONSE or nil
local ft_req = frametype and frametype.REQUEST or nil
f.response_in = ProtoField.framenum("mccp.response_in", "Response in", base.NONE, ft_resp)
f.request_in = ProtoField.framenum("mccp.request_in", "Request in", base.NONE, ft_req)
f.time = ProtoField.relative_time("mccp.time", "Time since request")
f.resend = ProtoField.framenum("mccp.resend_of", "Resend of", base.NONE)

-- One filterable field per param name: mccp.param.<name>.
local named = {}
local function named_field(name)
  if not named[name] then
    named[name] = ProtoField.string("mccp.param." .. name, name)
    f["p_" .. name] = named[name]
  end
  return named[name]
end
for _, list in pairs(params) do
  for _, n in ipairs(list) do named_field(n) end
end
for _, n in ipairs(rcr_record) do named_field(n) end
named_field("member")

local ef = {
  wire = ProtoExpert.new("mccp.wire", "MCP wire-grammar violation", expert.group.MALFORMED, expert.severity.ERROR),
  limit = ProtoExpert.new("mccp.limit", "MCP limit exceeded", expert.group.MALFORMED, expert.severity.ERROR),
  status = ProtoExpert.new("mccp.status.unknown", "MCP status not in §8", expert.group.PROTOCOL, expert.severity.WARN),
  params = ProtoExpert.new("mccp.params.after_error", "MCP answer params after a non-zero status",
                           expert.group.PROTOCOL, expert.severity.WARN),
  resend = ProtoExpert.new("mccp.resend", "MCP request resent (same trid)", expert.group.SEQUENCE, expert.severity.NOTE),
  noanswer = ProtoExpert.new("mccp.unanswered", "MCP answer matches no request", expert.group.SEQUENCE,
                             expert.severity.NOTE),
}
mcp.experts = {ef.wire, ef.limit, ef.status, ef.params, ef.resend, ef.noanswer}

-- Request <-> answer linking: key = conversation (both endpoints, sorted) ..
-- trid .. word without its R/A. Filled on the first pass, read on every pass.
local requests, answers = {}, {}
function mcp.init()
  requests, answers = {}, {}
end

local http_method = Field.new("http.request.method")

-- The conversation of a command, named from the request's sender to its
-- receiver. HTTP: the client host and the server's address (each exchange is
-- a new TCP connection, and server-initiated requests ride in responses while
-- their answers come in a later POST).
local function conv_key(pinfo, is_request, http)
  local src = tostring(pinfo.src) .. ":" .. tostring(pinfo.src_port)
  local dst = tostring(pinfo.dst) .. ":" .. tostring(pinfo.dst_port)
  if http then
    local in_request = http_method() ~= nil
    local client = in_request and tostring(pinfo.src) or tostring(pinfo.dst)
    local server = in_request and dst or src
    local client_sends = (in_request and is_request) or (not in_request and not is_request)
    return client_sends and ("http " .. client .. ">" .. server) or ("http " .. server .. ">" .. client)
  end
  if is_request then return src .. ">" .. dst end
  return dst .. ">" .. src
end

local function hexval(c)
  local b = c:byte()
  if b >= 48 and b <= 57 then return b - 48 end
  if b >= 65 and b <= 70 then return b - 55 end
  if b >= 97 and b <= 102 then return b - 87 end
  return nil
end

-- Undoes WIRE-6 escapes. Returns decoded, or nil and the 0-based offset of a bad %.
local function unescape(s)
  local out, i, n = {}, 1, #s
  while i <= n do
    local c = s:sub(i, i)
    if c == "%" then
      local h1 = i + 1 <= n and hexval(s:sub(i + 1, i + 1)) or nil
      local h2 = i + 2 <= n and hexval(s:sub(i + 2, i + 2)) or nil
      if not h1 or not h2 then return nil, i - 1 end
      out[#out + 1] = string.char(h1 * 16 + h2)
      i = i + 3
    else
      out[#out + 1] = c
      i = i + 1
    end
  end
  return table.concat(out)
end

-- Valid UTF-8 (no overlong forms, surrogates or values above U+10FFFF)? (WIRE-8)
local function utf8_ok(s)
  local i, n = 1, #s
  while i <= n do
    local c = s:byte(i)
    local len, min
    if c < 0x80 then len, min = 1, 0
    elseif c >= 0xC2 and c <= 0xDF then len, min = 2, 0x80
    elseif c >= 0xE0 and c <= 0xEF then len, min = 3, 0x800
    elseif c >= 0xF0 and c <= 0xF4 then len, min = 4, 0x10000
    else return false end
    if i + len - 1 > n then return false end
    local cp = len == 1 and c or (c % (2 ^ (7 - len)))
    for k = 1, len - 1 do
      local b = s:byte(i + k)
      if b < 0x80 or b > 0xBF then return false end
      cp = cp * 64 + (b - 0x80)
    end
    if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return false end
    i = i + len
  end
  return true
end

local function is_digits(s, maxlen)
  if #s == 0 or #s > maxlen or not s:match("^%d+$") then return false end
  return s == "0" or s:sub(1, 1) ~= "0"
end

local function printable(s, max)
  local t = s:gsub("[%z\1-\31\127]", function(c) return string.format("\\x%02x", c:byte()) end)
  if max and #t > max then t = t:sub(1, max - 1) .. "…" end
  return t
end

-- Dissects one command starting at 0-based `off` of `s` (the tvb's bytes).
-- Returns the offset after it, or nil, needed (stream: more bytes needed; 0 =
-- one more segment), or false, reason when the rest is not MCP at all.
local function dissect_command(tvb, s, off, pinfo, tree, stream, infos, http)
  local eol = s:find("\r\n", off + 1, true)
  if not eol or eol - 1 - off + 2 > 4096 then
    local limit = (not eol and #s - off > 4096) or (eol and eol - 1 - off + 2 > 4096)
    if stream and not limit then return nil, 0 end
    local t = tree:add(mcp, tvb(off), "MCP (malformed)")
    if limit then
      t:add_proto_expert_info(ef.limit, "LIM-1: command line longer than 4096 bytes")
    else
      t:add_proto_expert_info(ef.wire, "WIRE-10: incomplete trailing command (no CRLF) at offset " .. off)
    end
    infos[#infos + 1] = limit and "[LIM-1]" or "[WIRE-10]"
    return #s
  end
  local line = s:sub(off + 1, eol - 1)
  local line_len = #line + 2
  local fields, starts = {}, {}
  local p = 1
  while true do
    local sp = line:find(" ", p, true)
    fields[#fields + 1] = line:sub(p, (sp or #line + 1) - 1)
    starts[#starts + 1] = off + p - 1
    if not sp then break end
    p = sp + 1
  end
  local word = fields[1]
  local is_request = word:sub(1, 1) == "R"
  local t = tree:add(mcp, tvb(off, line_len), "MCP " .. printable(line, 120))
  local problems = {}
  local function violation(expert_field, text)
    t:add_proto_expert_info(expert_field, text)
    problems[#problems + 1] = text:match("^[%u%d-]+") or text
  end
  t:add(f.command, tvb(off, #word), word)
  if not (word:match("^[RA]%u%u%u?%u?%u?%u?%u?$")) then
    violation(ef.wire, "WIRE-3: command word is not R/A + 2..7 uppercase letters at offset " .. off)
  end
  t:add(f.kind, tvb(off, #word), is_request and "request" or "answer")
  local cr = line:find("[\r\n]")
  if cr then violation(ef.wire, "WIRE-9: bare CR or LF inside the line at offset " .. (off + cr - 1)) end
  local trid_s = fields[2]
  local trid
  if trid_s and is_digits(trid_s, 10) and tonumber(trid_s) <= 4294967295 then
    trid = tonumber(trid_s)
    t:add(f.trid, tvb(starts[2], #trid_s), trid)
  else
    violation(ef.wire, "WIRE-4: missing or malformed trid at offset " .. (starts[2] or off + #word))
  end
  local first_param = 3
  local status
  if not is_request then
    first_param = 4
    local st = fields[3]
    if st and is_digits(st, 5) and tonumber(st) <= 65535 then
      status = tonumber(st)
      t:add(f.status, tvb(starts[3], #st), status)
      local name = status_names[status]
      t:add(f.status_name, tvb(starts[3], #st), name or "unassigned")
      if not name then
        t:add_proto_expert_info(ef.status, "STATUS-1: status " .. status .. " is not in §8 (treated as a failure)")
      end
    else
      violation(ef.wire, "WIRE-5: missing or malformed status at offset " .. (starts[3] or eol - 1))
    end
  end
  local nparams = #fields - first_param + 1
  if nparams > 32 then violation(ef.limit, "LIM-2: " .. nparams .. " params (at most 32)") end
  if status and status ~= 0 and nparams > 0 and not (status == 405 and nparams == 1) then
    t:add_proto_expert_info(ef.params, "WIRE-20: " .. nparams .. " params after status " .. status)
  end
  -- Params: decoded and named.
  local names = params[word]
  local values = {}
  for i = first_param, #fields do
    local idx = i - first_param + 1
    local raw = fields[i]
    local range = #raw > 0 and tvb(starts[i], #raw) or tvb(starts[i], 0)
    local dec, bad = unescape(raw)
    if not dec then
      violation(ef.wire, "WIRE-7: malformed escape at offset " .. (starts[i] + bad))
      dec = raw
    elseif not utf8_ok(dec) then
      violation(ef.wire, "WIRE-8: param " .. idx .. " is not valid UTF-8 at offset " .. starts[i])
    end
    values[idx] = dec
    local name = names and names[idx]
    if not name and word == "RCR" and idx > 3 then
      name = rcr_record[(idx - 4) % 7 + 1]
    elseif not name and word == "ACM" and idx > 1 then
      name = "member"
    end
    if status and status ~= 0 then name = (status == 405 and idx == 1) and "needed" or nil end
    local item
    if name then
      item = t:add(named_field(name), range, dec)
      item:set_text(name .. ": " .. printable(dec, 200))
    else
      item = t:add(f.param, range, dec)
      item:set_text("param " .. idx .. ": " .. printable(dec, 200))
    end
    if word == "RCR" and idx > 3 and (idx - 4) % 7 == 0 then
      item:append_text(" (record " .. (math.floor((idx - 4) / 7) + 1) .. ")")
    end
  end
  local next_off = off + line_len
  -- Payload (PAY-1).
  if is_request and payload_words[word] then
    local len_s = fields[#fields]
    if #fields < 3 or not is_digits(len_s or "", 10) then
      violation(ef.wire, "PAY-2: last param is not a payload length")
    else
      local len = tonumber(len_s)
      local max = pinfo.port_type == 3 and 1024 or 65536  -- LIM-4: UDP 1024, TCP and HTTP 65536
      if len > max then violation(ef.limit, "LIM-4: payload length " .. len .. " over " .. max) end
      t:add(f.payload_len, tvb(starts[#fields], #len_s), len)
      if next_off + len > #s then
        if stream then return nil, next_off + len - #s end
        violation(ef.wire, "WIRE-10: payload truncated (" .. (#s - next_off) .. " of " .. len .. " bytes; PAY-3)")
        len = #s - next_off
      end
      if len > 0 then t:add(f.payload, tvb(next_off, len)) end
      t:set_len(line_len + len)
      next_off = next_off + len
    end
  end
  -- Linking.
  if trid then
    local base_word = word:sub(2)
    local key = conv_key(pinfo, is_request, http) .. "|" .. trid .. "|" .. base_word
    local num = pinfo.number
    if is_request then
      if not pinfo.visited and requests[key] == nil then requests[key] = {frame = num, ts = pinfo.abs_ts} end
      local r = requests[key]
      if r and r.frame ~= num then
        t:add(f.resend, r.frame):set_generated()
        t:add_proto_expert_info(ef.resend, "resend of the request in frame " .. r.frame)
      end
      local a = answers[key]
      if a then t:add(f.response_in, a.frame):set_generated() end
    else
      if not pinfo.visited and answers[key] == nil then answers[key] = {frame = num} end
      local r = requests[key]
      if r then
        t:add(f.request_in, r.frame):set_generated()
        local d = pinfo.abs_ts - r.ts
        local secs = math.floor(d)
        t:add(f.time, NSTime.new(secs, math.floor((d - secs) * 1e9))):set_generated()
      else
        t:add_proto_expert_info(ef.noanswer, "no request with trid " .. trid .. " seen in this conversation")
      end
    end
  end
  local info = word .. " " .. (trid_s or "?")
  if status then info = info .. " " .. status .. " " .. (status_names[status] or "unassigned") end
  if #problems > 0 then info = info .. " [" .. table.concat(problems, ",") .. "]" end
  infos[#infos + 1] = info
  return next_off
end

-- Dissects a whole message (datagram or HTTP body) or, with stream, as much of
-- a TCP stream as is complete. Returns the bytes consumed.
local function dissect_message(tvb, pinfo, tree, stream, http)
  local s = tvb:raw()
  local off, infos = 0, {}
  if #s == 0 then
    local t = tree:add(mcp, tvb(), "MCP (empty)")
    t:add_proto_expert_info(ef.wire, "WIRE-10: empty datagram or body")
    return 0
  end
  while off < #s do
    local next_off, need = dissect_command(tvb, s, off, pinfo, tree, stream, infos, http)
    if not next_off then
      pinfo.desegment_offset = off
      pinfo.desegment_len = need == 0 and DESEGMENT_ONE_MORE_SEGMENT or need
      break
    end
    off = next_off
  end
  if #infos > 0 then
    pinfo.cols.protocol = "MCP"
    pinfo.cols.info = table.concat(infos, " · ")
  end
  return #s
end

function mcp.dissector(tvb, pinfo, tree)
  -- TCP is a stream (framed by CRLF and payload lengths); UDP and HTTP bodies are whole messages.
  return dissect_message(tvb, pinfo, tree, pinfo.port_type == 2)
end

-- Heuristic: an R/A word, a space and a digit, and a CRLF within LIM-1.
local function looks_like_mcp(tvb)
  local n = tvb:len()
  if n < 7 then return false end
  local head = tvb(0, math.min(n, 16)):raw()
  if not head:match("^[RA]%u%u%u?%u?%u?%u?%u? %d") then return false end
  local s = tvb(0, math.min(n, 4098)):raw()
  return s:find("\r\n", 1, true) ~= nil or n < 4098
end

local function heuristic(tvb, pinfo, tree)
  if not looks_like_mcp(tvb) then return false end
  pinfo.conversation = mcp
  mcp.dissector(tvb, pinfo, tree)
  return true
end

-- HTTP bodies: hand them over as whole messages.
local mcp_body = Proto("mccp_http", "MCP in an HTTP body")
function mcp_body.dissector(tvb, pinfo, tree)
  return dissect_message(tvb, pinfo, tree, false, true)
end

-- DP GETs carry the command in the URL: /mcp?q=RQQW%201%20... (HTTP-1).
local uri_field = Field.new("http.request.uri")
local mcp_url = Proto("mccp_url", "MCP in an HTTP GET URL")
local function percent_decode(q)
  return (q:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end
function mcp_url.dissector(tvb, pinfo, tree)
  local u = uri_field()
  if not u then return end
  local q = tostring(u.value):match("[?&]q=([^&]*)")
  if not q or #q == 0 then return end
  local bytes = percent_decode(q)
  local hex = bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end)
  local sub = ByteArray.new(hex, ""):tvb("MCP from the GET URL")
  dissect_message(sub, pinfo, tree, false, true)
end

local udp_port = DissectorTable.get("udp.port")
local tcp_port = DissectorTable.get("tcp.port")
for _, port in ipairs({1863, 7000}) do udp_port:add(port, mcp) end
tcp_port:add(1863, mcp)
mcp:register_heuristic("udp", heuristic)
mcp:register_heuristic("tcp", heuristic)
DissectorTable.get("media_type"):add("application/x-mcp", mcp_body)
register_postdissector(mcp_url, true)
