"""A graceful stop (SIGTERM) as the clients of a running server meet it
(docs/web.md, "Signals"):
- a connection the server took just before the stop, whose request was
  still being sent, is answered: its request completes after the signal
  and gets its 200, with "Connection: close" (before, the server stopped
  as soon as no request was in progress, and such a connection was cut
  without an answer: the client could not know whether a write was
  taken);
- meanwhile new connections are refused at once (a proxy or a client
  knows its request was not taken and may send it elsewhere), instead of
  waiting in the listening queue until the server exits and then being
  reset;
- a connection idle between two requests does not hold the stop, and a
  connection that never sends anything holds it for a short while only;
  the server exits 0.
Requests already in progress at the signal are checked by test_api.py."""
import socket
import time

from webtest import Checks, Server, Site, server_has_read, wait_until

t = Checks()
site = Site()
srv = Server(site)


def connect():
    s = socket.create_connection((srv.host, srv.port), timeout=30)
    return s


def answer(sock):
    """The whole answer to one request (the server closes after it)."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def refused():
    try:
        connect().close()
        return False
    except (ConnectionRefusedError, ConnectionResetError):
        # refused, or reset from the listening queue as it was shut down
        return True


# One connection idle after an answer (keep-alive), one that never sends
# anything, and one with half a request.
idle = connect()
idle.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n")
first = idle.recv(65536)
t.check(first.startswith(b"HTTP/1.1 200"), "the idle connection was answered once", first[:80])
silent = connect()
half = connect()
half.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n")
wait_until(lambda: server_has_read(srv), pause=0.01)

srv.proc.send_signal(15)
wait_until(refused, pause=0.01)
t.check(srv.proc.poll() is None and refused(),
        "while the server stops, new connections are refused at once")
half.sendall(b"\r\n")
got = answer(half)
head = got.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
t.check(got.startswith(b"HTTP/1.1 200"),
        "a request begun on a connection taken before the stop is answered", got[:200])
t.check("connection: close" in head, "an answer during the stop closes its connection", head)
t.check(srv.proc.wait(timeout=60) == 0,
        "the server exits 0 although one connection is idle and one never sent anything")
t.check(answer(idle) == b"", "the idle connection is closed by the server")
for s in (idle, silent, half):
    s.close()
t.finish()
