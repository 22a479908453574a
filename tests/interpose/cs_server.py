#!/usr/bin/env python3
"""A tiny independent CS (analytics) server for the interposer tests.

Written from reference/PROTOCOL.md (sections 5, 6.2, 6.3, 7.9) with the Python
standard library only (selectors + socket); it shares no code with mcpsim.
It answers RUP with AUP 0 (MID checked, MID-3 -> 103), RAD with an empty AAD
(no ads), ignores RPAD, replays the cached answer for a resent request
(TIMER-5: same sender endpoint and trid) and forgets cached answers after 60 s
of its monotonic clock. It prints `listening udp://HOST:PORT cs` once bound. `--reject-after N` is a
deliberate defect (uploads after the N-th are answered 403) for the tests.

  cs_server.py --udp 127.0.0.1:0
"""
import argparse
import os
import selectors
import socket
import sys
import time

CACHE_S = 60.0


def hexmid(s):
    return len(s) == 32 and all(c in "0123456789abcdef" for c in s)


class Cs:
    def __init__(self, reject_after=None):
        self.reject_after = reject_after  # deliberate defect: 403 after this many uploads
        self.cache = {}  # (addr, trid) -> (answer bytes, time)
        self.executed = 0

    def answer(self, addr, line):
        parts = line.split(b" ")
        if len(parts) < 2 or not parts[0].startswith(b"R"):
            return b""
        word, trid = parts[0], parts[1]
        if word == b"RPAD":
            return b""
        key = (addr, trid)
        hit = self.cache.get(key)
        if hit is not None:
            return hit[0]
        params = parts[2:]
        if word == b"RUP":
            if len(params) != 4:
                out = b"AUP " + trid + b" 101"
            elif not hexmid(params[0].decode("latin-1")):
                out = b"AUP " + trid + b" 103"
            elif self.reject_after is not None and self.executed >= self.reject_after:
                out = b"AUP " + trid + b" 403"
            else:
                self.executed += 1
                out = b"AUP " + trid + b" 0"
        elif word == b"RAD":
            if len(params) != 2:
                out = b"AAD " + trid + b" 101"
            elif not hexmid(params[0].decode("latin-1")):
                out = b"AAD " + trid + b" 103"
            else:
                out = b"AAD " + trid + b" 0     "
        else:
            out = b"A" + word[1:] + b" " + trid + b" 100"
        out += b"\r\n"
        self.cache[key] = (out, time.monotonic())
        return out

    def expire(self):
        now = time.monotonic()
        for k in [k for k, (_, t) in self.cache.items() if now - t > CACHE_S]:
            del self.cache[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--udp", required=True, help="HOST:PORT to bind")
    ap.add_argument("--reject-after", type=int, default=None,
                    help="deliberate defect for the tests: answer 403 to uploads after this many")
    a = ap.parse_args()
    host, port = a.udp.rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, int(port)))
    sock.setblocking(False)
    h, p = sock.getsockname()
    print(f"listening udp://{h}:{p} cs", flush=True)
    cs = Cs(a.reject_after)
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    last = time.monotonic()
    while True:
        for _key, _ev in sel.select(timeout=1.0):
            while True:
                try:
                    data, addr = sock.recvfrom(65535)
                except BlockingIOError:
                    break
                out = b"".join(cs.answer(addr, ln) for ln in data.split(b"\r\n") if ln)
                if out:
                    sock.sendto(out, addr)
        if time.monotonic() - last >= 5.0:
            last = time.monotonic()
            cs.expire()


if __name__ == "__main__":
    sys.exit(main())
