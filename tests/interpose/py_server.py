#!/usr/bin/env python3
"""A small independent DP + CS + MS server for the interposer tests (issue 17).

Written from reference/PROTOCOL.md only, with the Python standard library
(selectors + socket); it shares no code with mcpsim. One UDP port plays CS
(section 7.9: RUP, RAD; WIRE-16..23, TIMER-5/6 answer cache, AMP-1/2 budget,
RATE-8 buckets, CS-1 once per (MID, trid, timestamp)); one HTTP port plays DP
(`GET /mcp?q=`, HTTP-1/2, DP-1..4) and MS (`GET`/`HEAD /media/<id>`, MS-1..6),
with the stream bounds HTTP-13..17. It prints `listening udp://HOST:PORT cs`
and `listening http://HOST:PORT dp,ms` once bound.

  py_server.py --udp 127.0.0.1:0 [--http 127.0.0.1:0] [--sg URI-LIST ...] [--rs URI-LIST]

Configuration (what the spec leaves to the operator): DP versions and update
URL, the SGs (one URI list each) and RS it hands out, one ad for slot `top`
whose banner `banner-1` MS serves. Deliberate defects for the tests:
`--reject-after N` (uploads after the N-th answered 403), `--defect
dp-version` (DP-1 ignored: update is always `none`), `--defect ms-unknown`
(MS answers 404 for every id).
"""
import argparse
import re
import selectors
import socket
import struct
import sys
import time
import zlib
from collections import OrderedDict
from urllib.parse import unquote_to_bytes

LIM_LINE, LIM_PARAMS, LIM_DGRAM, LIM_BODY, LIM_HEAD = 4096, 32, 8192, 131072, 8192
PAYLOAD_WORDS = {b"RBIN": 1024, b"ROT": 1024, b"RSV": 1024, b"RRV": 1024}  # LIM-4 (UDP; HTTP: 65536)
SERVER_ONLY = {b"RBIN", b"ROUT", b"RCS", b"RCR", b"RNP", b"RRI", b"RRR", b"RAC", b"RRM", b"RRB", b"RPN",
               b"ROA", b"RRV", b"RRN", b"RSN"}  # Appendix A: WIRE-21 -> 310
WORD = re.compile(rb"[RA][A-Z]{2,7}\Z")
NUM = re.compile(rb"(0|[1-9][0-9]{0,9})\Z")
STATUS = re.compile(rb"(0|[1-9][0-9]{0,4})\Z")
HEX32 = re.compile(rb"[0-9a-f]{32}\Z")
KIND = re.compile(rb"[a-z0-9_]{1,32}\Z")
TOKEN = re.compile(rb"[a-z0-9_-]{1,32}\Z")
DEVICE = re.compile(rb"[A-Za-z0-9_-]{1,64}\Z")
MEDIA_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
VERSION = re.compile(rb"(0|[1-9][0-9]{0,4})\.(0|[1-9][0-9]{0,4})\.(0|[1-9][0-9]{0,4})\Z")
HEXD = b"0123456789abcdefABCDEF"


class WireError(Exception):
    def __init__(self, clause, offset):
        super().__init__(clause)
        self.clause, self.offset, self.start = clause, offset, 0  # start: of the failing command


def unescape(raw, base):
    """WIRE-6..8: one left-to-right pass; returns the decoded bytes."""
    out, where, i = bytearray(), [], 0
    while i < len(raw):
        if raw[i] == 0x25:
            if i + 2 < len(raw) and raw[i + 1] in HEXD and raw[i + 2] in HEXD:
                out.append(int(raw[i + 1:i + 3], 16)), where.append(base + i)
                i += 3
                continue
            try:  # a sequence already impossible before this % is reported first (WIRE-12)
                bytes(out).decode("utf-8")
            except UnicodeDecodeError as e:
                if e.reason != "unexpected end of data":
                    raise WireError("WIRE-8", where[e.start])
            raise WireError("WIRE-7", base + i)
        out.append(raw[i]), where.append(base + i)
        i += 1
    try:
        bytes(out).decode("utf-8")
    except UnicodeDecodeError as e:
        raise WireError("WIRE-8", where[e.start])
    return bytes(out)


def head_of(data, start):
    """WIRE-22: (word, trid) when the command starts with a request word, SP and a trid ended by SP/CR/LF."""
    m = re.match(rb"(R[A-Z]{2,7}) (0|[1-9][0-9]{0,9})[ \r\n]", data[start:start + 20])
    if m and int(m.group(2)) <= 0xFFFFFFFF:
        return m.group(1), m.group(2)
    return None


def decode(data, payload_limit=1024):
    """WIRE-10..13, PAY-1..3: a whole message -> [(word, trid, status, params, payload)]; raises at the
    first violation with (clause, offset, start of the failing command)."""
    cmds, pos = [], 0
    if not data:
        raise WireError("WIRE-10", 0)
    while pos < len(data):
        start, i = pos, pos
        try:
            while True:  # delimit the line (WIRE-9, WIRE-10, LIM-1)
                if i - start >= LIM_LINE:
                    raise WireError("LIM-1", start + LIM_LINE)
                if i >= len(data):
                    raise WireError("WIRE-10", start)
                if data[i] == 0x0A:
                    raise WireError("WIRE-9", i)
                if data[i] == 0x0D:
                    if i + 1 >= len(data):
                        raise WireError("WIRE-10", start)
                    if data[i + 1] != 0x0A:
                        raise WireError("WIRE-9", i)
                    if i + 2 - start > LIM_LINE:
                        raise WireError("LIM-1", start + LIM_LINE)
                    break
                i += 1
            line, fields, off = data[start:i], [], start
            for f in line.split(b" "):
                fields.append((f, off))
                off += len(f) + 1
            word = fields[0][0]
            if not WORD.match(word):
                raise WireError("WIRE-3", start)
            is_req = word[:1] == b"R"
            n = 2 if is_req else 3
            if len(fields) < 2 or not NUM.match(fields[1][0]) or int(fields[1][0]) > 0xFFFFFFFF:
                raise WireError("WIRE-4", fields[1][1] if len(fields) > 1 else i)
            status = None
            if not is_req:
                if len(fields) < 3 or not STATUS.match(fields[2][0]) or int(fields[2][0]) > 65535:
                    raise WireError("WIRE-5", fields[2][1] if len(fields) > 2 else i)
                status = int(fields[2][0])
            if len(fields) - n > LIM_PARAMS:
                raise WireError("LIM-2", fields[n + LIM_PARAMS][1] - 1)
            params = [unescape(f, o) for f, o in fields[n:]]
            pos, payload = i + 2, b""
            if is_req and word in PAYLOAD_WORDS:  # PAY-1/2/3
                if not params or not NUM.match(params[-1]):
                    raise WireError("PAY-2", fields[-1][1] if len(fields) > n else i)
                length = int(params[-1])
                if length > payload_limit:
                    raise WireError("LIM-4", fields[-1][1])
                if pos + length > len(data):
                    raise WireError("WIRE-10", start)
                payload, pos = data[pos:pos + length], pos + length
            cmds.append((word, fields[1][0], status, params, payload))
        except WireError as e:
            e.start = start
            raise
    return cmds


def encode(word, trid, status, params=()):
    esc = lambda p: p.replace(b"%", b"%25").replace(b" ", b"%20").replace(b"\r", b"%0D").replace(b"\n", b"%0A")
    return b" ".join([word, trid, str(status).encode()] + [esc(p) for p in params]) + b"\r\n"


def undecodable_answer(data, e):
    """WIRE-22: the failing command's A-word answer, or None."""
    h = head_of(data, e.start)
    if h is None:
        return None
    status = {"LIM-1": 105, "LIM-2": 105, "PAY-2": 104, "LIM-4": 104}.get(e.clause, 101)
    return encode(b"A" + h[0][1:], h[1], status)


class Bucket:
    """RATE-1 token buckets per key, at most 65536 keys (least recently used forgotten first)."""

    def __init__(self, rate, depth):
        self.rate, self.depth, self.keys = rate, depth, OrderedDict()

    def take(self, key, now):
        tokens, t = self.keys.pop(key, (self.depth, now))
        tokens = min(self.depth, tokens + (now - t) * self.rate)
        ok = tokens >= 1
        self.keys[key] = (tokens - 1 if ok else tokens, now)
        if len(self.keys) > 65536:
            self.keys.popitem(last=False)
        return ok


class Cs:
    """CS over UDP: one datagram in, the datagrams to send back out."""

    def __init__(self, ad, reject_after=None):
        self.ad = ad  # (adId, imageUrl, clickUrl, width, height) for slot "top"
        self.reject_after = reject_after
        self.cache = OrderedDict()  # (endpoint, trid, word) -> (answer, time)   TIMER-5/6
        self.per_ep = {}
        self.recorded = set()  # CS-1: (mid, trid, timestamp)
        self.by_addr, self.by_mid = Bucket(50, 200), Bucket(20, 100)  # RATE-8

    def datagram(self, addr, data, now):
        if len(data) > LIM_DGRAM:
            return []  # UDP-1
        self.expire(now)
        try:
            cmds = decode(data)
        except WireError as e:
            a = undecodable_answer(data, e)
            return self.limit([a], len(data)) if a else []
        answers = []
        for word, trid, status, params, _ in cmds:
            if status is not None or word == b"RPAD":
                continue  # WIRE-23 / UDP-6
            key = (addr, trid, word)
            if key in self.cache:
                answers.append(self.cache[key][0])
                continue
            a = self.execute(addr, word, trid, params, now)
            self.remember(key, a, now)
            answers.append(a)
        return self.limit(answers, len(data))

    def execute(self, addr, word, trid, params, now):
        aw = b"A" + word[1:]
        if word in SERVER_ONLY:
            return encode(aw, trid, 310)
        if word not in (b"RUP", b"RAD"):
            return encode(aw, trid, 100)
        if len(params) != (4 if word == b"RUP" else 2):
            return encode(aw, trid, 102)
        mid = params[0]
        if not HEX32.match(mid):
            return encode(aw, trid, 103)
        if word == b"RUP":
            kind, ts, data = params[1], params[2], params[3]
            if not KIND.match(kind) or not re.match(rb"(0|[1-9][0-9]{0,15})\Z", ts):
                return encode(aw, trid, 103)
            if len(data) > 1000:
                return encode(aw, trid, 402)
        elif not TOKEN.match(params[1]):
            return encode(aw, trid, 103)
        if not self.by_addr.take(addr[0], now) or not self.by_mid.take(mid, now):
            return encode(aw, trid, 403)
        if word == b"RAD":
            if params[1] != b"top" or self.ad is None:
                return encode(aw, trid, 0, [b""] * 5)
            return encode(aw, trid, 0, self.ad)
        if (mid, trid, ts) in self.recorded:
            return encode(aw, trid, 0)
        if self.reject_after is not None and len(self.recorded) >= self.reject_after:
            return encode(aw, trid, 403)  # deliberate defect
        self.recorded.add((mid, trid, ts))
        return encode(aw, trid, 0)

    def remember(self, key, answer, now):
        self.cache[key] = (answer, now)
        ep = self.per_ep.setdefault(key[0], [])
        ep.append(key)
        while len(ep) > 256:
            self.cache.pop(ep.pop(0), None)
        while len(self.cache) > 65536:
            old, _ = self.cache.popitem(last=False)
            self.per_ep[old[0]].remove(old)

    def expire(self, now):
        while self.cache:
            key, (_, t) = next(iter(self.cache.items()))
            if now - t <= 60.0:
                break
            del self.cache[key]
            self.per_ep[key[0]].remove(key)
            if not self.per_ep[key[0]]:
                del self.per_ep[key[0]]

    @staticmethod
    def limit(answers, budget):
        """AMP-1/2 (CS never validates an endpoint): answers in order while each fits, else 405 needed."""
        needed = sum(len(a) for a in answers)
        out = answers if needed <= budget else []
        for a in answers if needed > budget else []:
            if len(a) > budget:
                w, t = a.split(b" ", 2)[:2]
                a = w + b" " + t + b" 405 " + str(needed).encode() + b"\r\n"  # AMP-5: not cached
                if len(a) > budget:
                    continue
            budget -= len(a)
            out.append(a)
        dgrams = []
        for a in out:  # UDP-7: packed, in order, within LIM-3
            if dgrams and len(dgrams[-1]) + len(a) <= LIM_DGRAM:
                dgrams[-1] += a
            else:
                dgrams.append(a)
        return dgrams


def vers(v):
    return tuple(int(x) for x in v.split(b"."))


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


class Dp:
    def __init__(self, a, cs_uri, ms_base):
        self.min, self.latest, self.url = a.min_version.encode(), a.latest_version.encode(), a.update_url.encode()
        self.sgs, self.rs = [s.encode() for s in a.sg], a.rs.encode()
        self.cs, self.ms, self.ignore_version = cs_uri, ms_base, a.defect == "dp-version"

    def query(self, target):
        """HTTP-1/2: (HTTP status, body) for the target `/mcp?...`."""
        q = [p[2:] for p in target.split("?", 1)[1].split("&") if p.startswith("q=")] if "?" in target else []
        if len(q) != 1:
            return 400, b""
        if not re.fullmatch(r"([^%]|%[0-9A-Fa-f]{2})*", q[0]):
            return 400, b""
        data = unquote_to_bytes(q[0])
        try:
            cmds = decode(data, payload_limit=65536)
        except WireError as e:
            a = undecodable_answer(data, e)
            return (200, a) if a else (400, b"")
        body = b""
        for word, trid, status, params, _ in cmds:
            if status is None and word != b"RPAD":
                body += self.rqqw(trid, params) if word == b"RQQW" else encode(b"A" + word[1:], trid, 100)  # DP-4
        return 200, body

    def rqqw(self, trid, params):
        if len(params) != 3:
            return encode(b"AQQW", trid, 102)
        version, platform, device = params
        if not VERSION.match(version) or not TOKEN.match(platform) or not DEVICE.match(device):
            return encode(b"AQQW", trid, 103)
        update = b"none"
        if not self.ignore_version:  # DP-1
            update = b"required" if vers(version) < vers(self.min) else \
                b"recommended" if vers(version) < vers(self.latest) else b"none"
        url = b"" if update == b"none" else self.url
        if update == b"required":  # DP-2, before DP-3's 502 (G-82): no addresses until updated
            return encode(b"AQQW", trid, 0, [update, self.latest, url, b"", b"", b"", self.ms])
        if not self.sgs:
            return encode(b"AQQW", trid, 502)  # DP-3
        sg = self.sgs[fnv1a64(device) % len(self.sgs)]  # DP-3
        return encode(b"AQQW", trid, 0, [update, self.latest, url, sg, self.rs, self.cs, self.ms])


def banner_png(width=120, height=40):
    """A small valid PNG (grey stripes), the media `banner-1`."""
    rows = b"".join(b"\x00" + bytes(((x // 8 + y // 8) % 2) * 255 for x in range(width)) for y in range(height))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


REASON = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
          413: "Content Too Large", 431: "Request Header Fields Too Large", 503: "Service Unavailable"}


class Conn:
    def __init__(self, sock, now):
        self.sock, self.buf, self.out = sock, b"", b""
        self.deadline, self.head, self.length, self.closing = now + 10.0, None, 0, False  # HTTP-16


class Http:
    """DP (`/mcp`) and MS (`/media/<id>`) on one HTTP/1.1 listener; one exchange per connection (HTTP-11)."""

    def __init__(self, dp, media, defect):
        self.dp, self.media, self.ms_defect = dp, media, defect == "ms-unknown"
        self.conns = {}

    def respond(self, c, code, body=b"", ctype=None, allow=None, head=False):
        h = f"HTTP/1.1 {code} {REASON[code]}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
        h += (f"Content-Type: {ctype}\r\n" if ctype else "") + (f"Allow: {allow}\r\n" if allow else "")
        c.out += h.encode() + b"\r\n" + (b"" if head else body)
        c.closing = True

    def request(self, c, method, target):
        path = target.split("?", 1)[0]
        if path == "/mcp":
            if method != "GET":
                return self.respond(c, 405, allow="GET")
            code, body = self.dp.query(target)
            return self.respond(c, code, body, "application/x-mcp" if code == 200 else None)
        if path.startswith("/media/"):
            if method not in ("GET", "HEAD"):
                return self.respond(c, 405, allow="GET, HEAD")
            mid = path[len("/media/"):]
            if not MEDIA_ID.match(mid):
                return self.respond(c, 400, head=method == "HEAD")
            if mid not in self.media or self.ms_defect:
                return self.respond(c, 404, head=method == "HEAD")
            ctype, data = self.media[mid]
            return self.respond(c, 200, data, ctype, head=method == "HEAD")  # MS-2, MS-6
        return self.respond(c, 404)

    def feed(self, c, data, now):
        if c.closing:
            return
        c.buf += data
        if c.head is None:
            end = c.buf.find(b"\r\n\r\n")
            if (end < 0 and len(c.buf) > LIM_HEAD) or end + 4 > LIM_HEAD:
                return self.respond(c, 431)  # HTTP-15
            if end < 0:
                return
            lines = c.buf[:end].decode("latin-1").split("\r\n")
            c.buf = c.buf[end + 4:]
            start = lines[0].split(" ")
            lengths, te = set(), False
            for ln in lines[1:]:
                name, _, value = ln.partition(":")
                name, value = name.strip().lower(), value.strip()
                if name == "content-length":
                    lengths.add(value)
                te |= name == "transfer-encoding"
            if len(start) != 3 or not start[2].startswith("HTTP/1.") or te or len(lengths) > 1 or \
                    any(not re.fullmatch(r"[0-9]+", v) for v in lengths):
                return self.respond(c, 400)  # HTTP-14
            c.length = int(lengths.pop()) if lengths else 0
            if c.length > LIM_BODY:
                return self.respond(c, 413)  # HTTP-13
            c.head, c.deadline = (start[0], start[1]), now + 30.0
        if len(c.buf) >= c.length:
            self.request(c, *c.head)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--udp", required=True, help="HOST:PORT of CS")
    ap.add_argument("--http", help="HOST:PORT of DP and MS")
    ap.add_argument("--min-version", default="1.0.0")
    ap.add_argument("--latest-version", default="1.3.0")
    ap.add_argument("--update-url", default="http://example.invalid/mc-1.3.0.sis")
    ap.add_argument("--sg", action="append", default=[], help="URI list of one SG the DP assigns (repeat per SG)")
    ap.add_argument("--rs", default="", help="URI list of RS the DP hands out")
    ap.add_argument("--reject-after", type=int, default=None,
                    help="deliberate defect for the tests: answer 403 to uploads after this many")
    ap.add_argument("--defect", choices=["dp-version", "ms-unknown"], help="deliberate defect for the tests")
    a = ap.parse_args()
    sel = selectors.DefaultSelector()

    def bind(kind, spec):
        host, port = spec.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
        if kind == socket.SOCK_STREAM:
            s.listen(64)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        return s, "%s:%d" % s.getsockname()

    udp, udp_at = bind(socket.SOCK_DGRAM, a.udp)
    print(f"listening udp://{udp_at} cs", flush=True)
    http, http_at, web = None, None, None
    media = {"banner-1": ("image/png", banner_png())}
    ad = None
    if a.http:
        http, http_at = bind(socket.SOCK_STREAM, a.http)
        print(f"listening http://{http_at} dp,ms", flush=True)
        ad = [b"ad-1", f"http://{http_at}/media/banner-1".encode(), b"http://example.invalid/click/1", b"120", b"40"]
        dp = Dp(a, f"udp://{udp_at}".encode(), f"http://{http_at}".encode())
        web = Http(dp, media, a.defect)
    cs = Cs(ad, a.reject_after)
    while True:
        now = time.monotonic()
        wait = 1.0
        if web and web.conns:
            wait = max(0.0, min(wait, min(c.deadline for c in web.conns.values()) - now))
        for key, ev in sel.select(timeout=wait):
            s = key.fileobj
            now = time.monotonic()
            if s is udp:
                while True:
                    try:
                        data, addr = udp.recvfrom(65535)
                    except (BlockingIOError, InterruptedError):
                        break
                    for d in cs.datagram(addr, data, now):
                        udp.sendto(d, addr)
            elif s is http:
                try:
                    cs_, _ = http.accept()
                except (BlockingIOError, InterruptedError):
                    continue
                cs_.setblocking(False)
                web.conns[cs_] = Conn(cs_, now)
                sel.register(cs_, selectors.EVENT_READ)
            else:
                c = web.conns[s]
                try:
                    if ev & selectors.EVENT_READ:
                        data = s.recv(65536)
                        if not data:
                            raise ConnectionResetError  # HTTP-17: reclaim at once
                        web.feed(c, data, now)
                    if c.out:
                        c.out = c.out[s.send(c.out):]
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    c.closing, c.out = True, b""
                if c.closing and not c.out:
                    sel.unregister(s), s.close()
                    del web.conns[s]
                elif c.out:
                    sel.modify(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        if web:  # HTTP-16: 408 to a slow request, then close
            now = time.monotonic()
            for s, c in list(web.conns.items()):
                if now >= c.deadline and not c.closing:
                    web.respond(c, 408)
                    try:
                        s.send(c.out)
                    except OSError:
                        pass
                    sel.unregister(s), s.close()
                    del web.conns[s]


if __name__ == "__main__":
    sys.exit(main())
