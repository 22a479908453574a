#!/usr/bin/env python3
"""A TCP echo server / client (stdlib only) for the interposer's stream tests.

--listen HOST:PORT   non-blocking echo server on selectors (epoll): echoes every
                     chunk; a chunk "bye" closes that connection at once (the
                     peer sees EOF); on the peer's EOF it half-closes too.
--connect HOST:PORT  first a non-blocking connect to HOST:1 (nobody listens:
                     EINPROGRESS, then SO_ERROR reports the refusal), then a
                     blocking connect to HOST:PORT: sends "refused:<errno name>;ping",
                     reads the reply up to ";", sends "got:<reply>", shuts down
                     its write side, reads until EOF and exits 0.
"""
import errno
import selectors
import socket
import sys


def addr(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def serve(where):
    sel = selectors.DefaultSelector()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(addr(where))
    ls.listen(16)
    ls.setblocking(False)
    print("tcp_echo: listening on port %d" % ls.getsockname()[1], file=sys.stderr, flush=True)
    sel.register(ls, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                try:
                    c, _peer = ls.accept()
                except BlockingIOError:
                    continue
                c.setblocking(False)
                c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sel.register(c, selectors.EVENT_READ, "conn")
                continue
            c = key.fileobj
            try:
                data = c.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                sel.unregister(c)
                c.close()
                continue
            if data == b"bye":
                sel.unregister(c)
                c.close()
            elif data:
                c.sendall(data)
            else:
                sel.unregister(c)
                c.shutdown(socket.SHUT_WR)
                c.close()


def client(where):
    host, port = addr(where)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    rc = s.connect_ex((host, 1))
    assert rc == errno.EINPROGRESS, rc
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_WRITE)
    sel.select()
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    s.close()
    c = socket.create_connection((host, port))
    c.sendall(b"refused:%s;ping" % errno.errorcode.get(err, str(err)).encode())
    reply = b""
    while not reply.endswith(b";"):
        chunk = c.recv(100)
        if not chunk:
            break
        reply += chunk
    c.sendall(b"got:" + reply)
    c.shutdown(socket.SHUT_WR)
    while c.recv(100):
        pass
    c.close()
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--listen":
        serve(sys.argv[2])
    else:
        sys.exit(client(sys.argv[2]))
