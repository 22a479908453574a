#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/).

Usage: fuzz/make_corpus.py [REPORT.json ...]

Seeds come from three places: the exchanges below (the flows of the scenario
library and the conformance catalog, written out by hand so that the corpus
does not depend on a run), the scenario library itself (scenario target), and
optionally the wire transcripts of conformance reports (`mcpsim conform
--out DIR` writes DIR/report.json): every transcript message a client sent
becomes a datagram / stream / POST event for the matching role. Deterministic:
the same inputs give the same files (named by content hash).
"""
import base64
import glob
import hashlib
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))

# Event encoding of fuzz/role_harness.h.
DGRAM, OPEN, STREAM, CLOSE, RAWHTTP, POST, TIME, WORK = range(8)


def ev(op, peer=0, data=None):
    out = bytes([op, peer])
    if data is not None:
        if isinstance(data, str):
            data = data.encode()
        out += struct.pack('<H', len(data)) + data
    return out


def crlf(*lines):
    return ''.join(l + '\r\n' for l in lines)


def get(target):
    return 'GET %s HTTP/1.1\r\nHost: x\r\n\r\n' % target


LOGIN = 'RAT 1 alice@live.cn password1 dev-1 1.0.0 1'
SG_FLOWS = {
    'udp_login': [ev(DGRAM, 0, crlf(LOGIN)), ev(WORK), ev(DGRAM, 0, crlf('RPOL 2')),
                  ev(DGRAM, 0, crlf('RSII 3 00000000000000000000000000000000 online 7 0')), ev(WORK)],
    'udp_wrong': [ev(DGRAM, 1, crlf('RAT 1 alice@live.cn wrongpass1 d 1.0.0 1', 'RAT 2 ghost@live.cn x12345678 d 1.0.0 1')),
                  ev(WORK), ev(DGRAM, 1, crlf('RAT 1 alice@live.cn wrongpass1 d 1.0.0 1')), ev(WORK)],
    'udp_rat_flood': [ev(DGRAM, 2, ''.join('RAT %d alice@live.cn wrongpass12 d 1.0.0 1\r\n' % i for i in range(1, 60))),
                      ev(WORK), ev(TIME, 0, None) + b'\x10\x00', ev(WORK)],
    'tcp_login': [ev(OPEN, 1), ev(STREAM, 1, crlf(LOGIN, 'RPOL 2')), ev(WORK),
                  ev(STREAM, 1, crlf('RLO 3')), ev(CLOSE, 1)],
    'tcp_pipelined': [ev(OPEN, 2), ev(STREAM, 2, crlf(LOGIN) + 'RPOL 2\r\nRSM 3 1 hi\r\nRPO'), ev(STREAM, 2, 'L 4\r\n'),
                      ev(WORK), ev(CLOSE, 2)],
    'http_login': [ev(POST, 0, crlf(LOGIN)), ev(WORK), ev(POST, 1, crlf('RPOL 2')),
                   ev(POST, 1, crlf('RSII 3 00000000000000000000000000000000 online 7 0')), ev(TIME, 3) + b'\xff\x00'],
    'chat': [ev(DGRAM, 0, crlf(LOGIN)), ev(WORK), ev(DGRAM, 1, crlf('RAT 1 bob@live.cn password1 d 1.0.0 1')), ev(WORK),
             ev(DGRAM, 0, crlf('RSI 2 bob@live.cn', 'RSM 3 1 hello%20bob', 'ROM 4 bob@live.cn offline%20hi',
                               'ROI 5 1 pic.bin 3000', 'RSV 6 1 1 0 33 0 ' + 'x' * 0, 'RCE 7 add carol@live.cn'))],
}
RS_FLOWS = {
    'tcp_register': [ev(OPEN, 0), ev(STREAM, 0, crlf('RAP 1 1.0.0 dev-1', 'ABIN 1 0', 'ABIN 2 0')),
                     ev(STREAM, 0, crlf('REG 2 1 ABCDE carol@live.cn password1 Carol')), ev(WORK), ev(CLOSE, 0)],
    'http_register': [ev(POST, 0, crlf('RAP 1 1.0.0 dev-1')), ev(POST, 1, crlf('ABIN 1 0', 'REG 2 1 abcde dave@live.cn password1 ')),
                      ev(WORK), ev(TIME, 0) + b'\x00\x80'],
    'rap_flood': [ev(POST, i % 4, crlf('RAP 1 1.0.0 dev-%d' % i)) for i in range(12)],
    'errors': [ev(OPEN, 3), ev(STREAM, 3, 'REG 1 x\r\nRAP 2 1.0 d\r\nRXYZ 3\r\nABIN 9 0\r\nRAP 4 %zz d\r\n'),
               ev(POST, 2, 'REG 1 1 a b c d\r\n'), ev(RAWHTTP, 0, 'POST /other HTTP/1.1\r\nContent-Length: 0\r\n\r\n')],
}
CS_FLOWS = {
    'uploads': [ev(DGRAM, 0, crlf('RUP 1 58d05d6affef8ab9dd5a8be7afdf1c83 launch 1700000000000 ',
                                  'RUP 2 58d05d6affef8ab9dd5a8be7afdf1c83 impression 1700000000500 slot=top'))],
    'ad_padded': [ev(DGRAM, 1, crlf('RAD 1 58d05d6affef8ab9dd5a8be7afdf1c83 top', 'RPAD 2 ' + '0' * 200))],
    'ad_small': [ev(DGRAM, 2, crlf('RAD 1 58d05d6affef8ab9dd5a8be7afdf1c83 top'))],
    'flood': [ev(DGRAM, 3, ''.join('RUP %d %032x launch 1 x\r\n' % (i, i) for i in range(1, 40)))] * 3,
    'errors': [ev(DGRAM, 0, 'RUP 1 BAD launch 1 x\r\nRAD 2\r\nRXYZ 3\r\nABIN 4 0\r\n'), ev(DGRAM, 0, 'RUP 5 %g\r\n')],
}
DP_FLOWS = {
    'dispatch': [ev(RAWHTTP, 0, get('/mcp?q=RQQW%201%201.2.0%20s60%20dev-7f3a%0D%0A'))],
    'required': [ev(RAWHTTP, 1, get('/mcp?q=RQQW%203%201.0.9%20s60%20dev-1%0D%0A'))],
    'errors': [ev(RAWHTTP, 2, get('/mcp?q=a&q=b')), ev(RAWHTTP, 3, get('/mcp')), ev(RAWHTTP, 0, get('/mcp?q=RXYZ%201%0D%0A')),
               ev(POST, 1, crlf('RQQW 1 1.0.0 s60 d'))],
}
MS_FLOWS = {
    'media': [ev(RAWHTTP, 0, get('/media/banner-1')), ev(RAWHTTP, 1, 'HEAD /media/banner-1 HTTP/1.1\r\n\r\n')],
    'errors': [ev(RAWHTTP, 2, get('/media/../x')), ev(RAWHTTP, 3, get('/media/nope')), ev(POST, 0, 'x')],
}
HTTP1 = {
    'get': b'\x00' + get('/mcp?q=RQQW%201%201.0.0%20s60%20d%0D%0A').encode(),
    'post': b'\x00POST /mcp HTTP/1.1\r\nContent-Type: application/x-mcp\r\nSessionID: 3f0c\r\nContent-Length: 9\r\n\r\nRPOL 57\r\n',
    'pipelined': b'\x04' + (get('/a') + get('/b')).encode(),
    'big_length': b'\x00POST /mcp HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n',
    'two_lengths': b'\x02POST /mcp HTTP/1.1\r\nContent-Length: 8\r\nContent-Length: 9\r\n\r\nRPOL 1\r\n',
    'chunked': b'\x00POST /mcp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'response': b'\x01HTTP/1.1 200 OK\r\nContent-Type: application/x-mcp\r\nContent-Length: 38\r\n\r\nAPOL 57 0 5\r\nRRM 12 3 bob@live.cn hi\r\n',
    'response_413': b'\x03HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n',
}
STREAM = {
    'pipelined': bytes([30]) + b'RSLOW 1\r\nRECHO 2\r\nRSLOW 3\r\nRE' + bytes([201, 8]) + b'CHO 4\r\n' + bytes([200, 201]),
    'backlog': bytes([10]) + b'RSLOW 1\r\n' + b''.join(bytes([63]) + b'RECHO 2 ' + b'x' * 53 + b'\r\n' for _ in range(12)),
    'bad': bytes([20]) + b'RSLOW 1\r\nRE%zz 2\r\n' + bytes([200]),
}


def enc_seed(ops):
    return bytes(ops)


ENC = {
    'seal_open': enc_seed([0, 0, 0, 40, 1, 0, 1, 0]),
    'replay_and_flip': enc_seed([0, 1, 1, 10, 0, 0, 0, 200, 1, 1, 1, 0, 2, 0, 5, 3, 0, 2, 1, 7, 4, 1]),
    'junk': enc_seed([3, 50] + list(range(50)) + [11, 45] + [0xA5] * 45),
    'keys': enc_seed([0, 0, 0, 5, 0xFF]) + b'# keys\n1 ' + b'11' * 32 + b'\n7 ' + b'77' * 32 + b'\nbad line\n',
}


def write(target, name, data):
    d = os.path.join(ROOT, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    h = hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(d, '%s-%s' % (name, h)), 'wb') as f:
        f.write(data)


def from_reports(paths):
    """Client messages of conformance transcripts, as role events."""
    seeds = {'sg': [], 'rs': [], 'cs': [], 'dp': []}
    for p in paths:
        with open(p) as f:
            report = json.load(f)
        for case in report.get('cases', []):
            events = []
            for m in case.get('transcript', []):
                if m.get('dir') not in ('send', 'out', 'c2s'):
                    continue
                raw = m.get('bytes_b64') or m.get('b64')
                data = base64.b64decode(raw) if raw else (m.get('text') or '').encode()
                if not data:
                    continue
                transport = m.get('transport', 'udp')
                op = {'udp': DGRAM, 'tcp': STREAM, 'http': POST}.get(transport, DGRAM)
                events.append(ev(op, 0, data[:4000]))
                events.append(ev(WORK))
            if events:
                role = 'cs' if case.get('id', '').startswith(('cs.', 'udp.')) else \
                       'rs' if case.get('id', '').startswith('rs.') else \
                       'dp' if case.get('id', '').startswith('dp.') else 'sg'
                seeds[role].append((case['id'], b''.join(events[:40])))
    return seeds


def main():
    for target, flows in (('sg', SG_FLOWS), ('rs', RS_FLOWS), ('cs', CS_FLOWS), ('dp', DP_FLOWS), ('ms', MS_FLOWS)):
        for name, events in flows.items():
            write(target, name, b''.join(events))
    for name, data in HTTP1.items():
        write('http1', name, data)
    for name, data in STREAM.items():
        write('stream', name, data)
    for name, data in ENC.items():
        write('enc', name, data)
    for path in sorted(glob.glob(os.path.join(ROOT, '..', 'scenarios', 'library', '*.yaml'))):
        with open(path, 'rb') as f:
            write('scenario', os.path.basename(path)[:-5], f.read())
    for role, items in from_reports(sys.argv[1:]).items():
        for name, data in items:
            write(role, 'conf-' + name.replace('.', '_'), data)


if __name__ == '__main__':
    main()
