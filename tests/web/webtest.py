"""Shared by the web tests: a fresh site in a temporary folder, a server of
its own on a free loopback port, a small HTTP client with cookies, and
TAP-like "ok N - ..." lines. Standard library only (Debian's python3)."""
import atexit
import html
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

FR = os.environ.get("FILROUGE_BIN") or (sys.argv[1] if len(sys.argv) > 1 else "filrouge")
BASE = os.environ.get("TEST_TMP_BASE", "/tmp")


class Checks:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, cond, desc, detail=""):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {desc}")
        else:
            self.failed += 1
            print(f"not ok {self.n} - {desc}")
            for line in str(detail).splitlines()[:20]:
                print(f"#   {line}")
        return cond

    def finish(self):
        print(f"{self.n - self.failed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def needs_sqlite(why):
    """Skips the test (exit 77) when its site is on PostgreSQL
    (FILROUGE_TEST_STORE): it works on the SQLite file itself."""
    if test_store():
        print(f"skipped on PostgreSQL: {why}")
        sys.exit(77)


def test_store():
    """FILROUGE_TEST_STORE (tests/pg/with-postgres.sh): a postgresql:// URI
    whose server gives each site a fresh schema; None: SQLite files."""
    return os.environ.get("FILROUGE_TEST_STORE") or None


_schemas = 0


def new_database():
    """A fresh schema on FILROUGE_TEST_STORE's server, as a location for
    `filrouge init --database` (like tests/cli/lib.sh's new_db)."""
    global _schemas
    base = test_store()
    _schemas += 1
    schema = f"w{os.getpid()}_{_schemas}"
    subprocess.run(["psql", "-Xq", base, "-c", f"CREATE SCHEMA {schema}"], check=True,
                   capture_output=True)
    return base + ("&" if "?" in base else "?") + "options=-csearch_path%3D" + schema


def psql(location, query):
    """Rows of a query on a PostgreSQL site's database, as lists of text."""
    p = subprocess.run(["psql", "-XAtq", "-F", "\t", location, "-c", query], check=True,
                       capture_output=True, text=True)
    return [line.split("\t") for line in p.stdout.splitlines()]


def recording_hook(path):
    """A Python hook on every topic that appends "EVENT_ID TOPIC PID" to
    path at each delivery."""
    return ("import os\nimport filrouge\n\n\n@filrouge.on(\"*\")\n"
            "def record(ev):\n"
            f"    with open({path!r}, \"a\") as f:\n"
            "        f.write(f\"{ev.id} {ev.topic} {os.getpid()}\\n\")\n")


def pg_server(action, mode="fast"):
    """Stops ("stop", mode fast or immediate: a crash, no shutdown
    checkpoint) or starts ("start") FILROUGE_TEST_STORE's private server
    (tests/pg/with-postgres.sh: its folder is the URI's host, the cluster
    in data/), waiting until it is done."""
    from urllib.parse import parse_qs, urlparse
    host = parse_qs(urlparse(test_store()).query)["host"][0]
    data = os.path.join(host, "data")
    version = sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: int(v))[-1]
    ctl = f"/usr/lib/postgresql/{version}/bin/pg_ctl"
    as_server = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    if action == "stop":
        args = ["-m", mode, "-w", "stop"]
    else:
        args = ["-l", os.path.join(host, "server.log"), "-w", "-o",
                f"-k {host} -c listen_addresses= -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_connections=200", "start"]
    subprocess.run([*as_server, ctl, "-D", data, *args], check=True, capture_output=True)
    return host


def run_under_postgres():
    """Runs this test again under tests/pg/with-postgres.sh when no server
    was given (exit 77, skipped, when PostgreSQL is not installed)."""
    if test_store():
        return
    wrapper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pg",
                           "with-postgres.sh")
    sys.stdout.flush()
    os.execv("/bin/sh", ["sh", wrapper, sys.executable, *sys.argv])


class Site:
    """A site with the frailty plugin, users with passwords, a team. With
    FILROUGE_TEST_STORE, its database is a fresh schema on that server."""

    def __init__(self, plugins=("instruments", "frailty"), hooks=None):
        """hooks: {file name: Python text} put in the site's hooks/ before
        anything is recorded."""
        self.tmp = tempfile.mkdtemp(prefix="web-", dir=BASE)
        self.dir = os.path.join(self.tmp, "site")
        self.env = dict(os.environ, FILROUGE_SITE=self.dir,
                        FILROUGE_LOG=os.path.join(self.tmp, "filrouge.log"))
        self.env.pop("FILROUGE_USER", None)
        self.database = new_database() if test_store() else None
        self.fr("init", self.dir, "--name", "Test",
                *(("--database", self.database) if self.database else ()))
        for name, text in (hooks or {}).items():
            with open(os.path.join(self.dir, "hooks", name), "w") as f:
                f.write(text)
        for p in plugins:
            self.fr("plugin", "enable", p)
        self.fr("team", "add", "Namur")

    def setting(self, name, value):
        """A site-wide setting written into site.xml (read when a server
        or a command opens the site)."""
        path = os.path.join(self.dir, "site.xml")
        with open(path, encoding="utf-8") as f:
            xml = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(xml.replace("</site>", f'  <setting name="{name}">{value}</setting>\n</site>'))

    def fr(self, *args, stdin=None, check=True):
        p = subprocess.run([FR, *args], env=self.env, input=stdin, capture_output=True,
                           text=True)
        if check and p.returncode != 0:
            raise RuntimeError(f"filrouge {' '.join(args)}: {p.stderr}")
        return p

    def sql(self, query):
        """Rows of a query on the site's database (either backend); values
        as the engine gives them (text on PostgreSQL)."""
        if self.database:
            return [tuple(r) for r in psql(self.database, query)]
        import sqlite3
        db = sqlite3.connect(os.path.join(self.dir, "filrouge.db"), timeout=30)
        try:
            rows = db.execute(query).fetchall()
            db.commit()  # an UPDATE by hand (an administrator's), as psql does
            return rows
        finally:
            db.close()

    def user(self, login, role="case_manager", password="correct-horse", team=None, language=None):
        """language: the user's own (fr, nl, de, en); None: the site's."""
        self.fr("user", "add", login, "--name", login.title(), "--role", role, "--capacity", "40",
                *(("--language", language) if language else ()))
        self.fr("user", "passwd", login, stdin=password + "\n")
        if team:
            self.fr("team", "join", team, login)


class Server:
    def __init__(self, site, host="127.0.0.1", log=None, threads=3):
        """host: an IPv4 address, or an IPv6 one (::1); log: the server's
        own log file (default: the site's); threads: its worker threads."""
        self.site = site
        self.host = host
        self.log = log or site.env["FILROUGE_LOG"]
        listen = f"[{host}]:0" if ":" in host else f"{host}:0"
        self.proc = subprocess.Popen([FR, "serve", "--listen", listen, "--threads", str(threads)],
                                     env=dict(site.env, FILROUGE_LOG=self.log),
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        shown = f"\\[{re.escape(host)}\\]" if ":" in host else re.escape(host)
        m = re.search(r"https?://" + shown + r":(\d+)/", line)
        if not m:
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line} {self.proc.stderr.read()}")
        self.port = int(m.group(1))
        # A test that dies half-way must not leave its server running.
        atexit.register(lambda p=self.proc: p.poll() is None and p.kill())

    def stop(self):
        """SIGTERM; returns the exit status."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return -1


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def headers_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


class Client:
    """One browser-like user: keeps cookies, knows its CSRF token."""

    def __init__(self, server):
        self.server = server
        self.cookies = {}
        self.csrf = None

    def request(self, method, path, body=None, headers=None, raw=None, sent=None):
        """sent: called once the whole request is sent, before the answer
        is read (a threading.Event's set, for a test that must know)."""
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=30)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = raw
        if isinstance(body, dict) and raw is None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=h)
        if sent:
            sent()
        r = conn.getresponse()
        resp = Response(r.status, r.getheaders(), r.read())
        conn.close()
        for c in resp.headers_all("Set-Cookie"):
            name, _, rest = c.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in c:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return resp

    def api(self, method, path, body=None, csrf=True, headers=None, sent=None):
        h = dict(headers or {})
        if csrf and self.csrf and method != "GET":
            h["X-CSRF-Token"] = self.csrf
        if method != "GET" and body is None:
            body = {}
        return self.request(method, "/api/v1" + path, body=body, headers=h, sent=sent)

    def login(self, login, password="correct-horse"):
        r = self.request("POST", "/api/v1/session", body={"login": login, "password": password})
        if r.status == 200:
            self.csrf = r.json()["csrf"]
        return r

    def form(self, path, fields, csrf=True):
        """fields: a dict, or a list of (name, value) for repeated names."""
        f = list(fields.items()) if isinstance(fields, dict) else list(fields)
        if csrf and self.csrf and not any(k == "_csrf" for k, _ in f):
            f.append(("_csrf", self.csrf))
        data = urllib.parse.urlencode(f).encode()
        return self.request("POST", path, raw=data,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})


def wait_until(condition, pause=0.1):
    """Polls condition() until it is true; no time limit of its own (the
    test's timeout, meson's, stops a test that waits for ever)."""
    while not condition():
        time.sleep(pause)
    return True


def committer_holds(server, n):
    """True when the server's group commit holds n requests or more: queued
    for it or in the batch it is committing (GET /api/v1/health, commits'
    waiting + running). Tests that hold the database's write lock wait for
    this before they let the committer go, so that their requests share
    its batches whatever the machine's load."""
    commits = Client(server).api("GET", "/health").json()["commits"]
    return commits["waiting"] + commits["running"] >= n


def _tcp_sockets():
    """(local port, remote port, state, tx_queue, rx_queue) of every TCP
    socket of this network namespace (/proc/net/tcp and tcp6)."""
    out = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                lines = f.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, state, queues = fields[1], fields[2], fields[3], fields[4]
            tx, rx = queues.split(":")
            out.append((int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16),
                        state, int(tx, 16), int(rx, 16)))
    return out


def site_today():
    """Today where the test sites' day changes (clock.time-zone, by default
    Europe/Brussels), not on the machine's clock: between 22:00 and 00:00
    UTC they differ, and a date typed as "today" would be yesterday's."""
    import datetime
    import zoneinfo
    return datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Brussels")).date()


def server_has_read(server):
    """True when the server has taken every connection made to it and read
    every byte sent on them: none waits in its listening socket's queue, no
    byte sent by a client is unacknowledged by the server's kernel, none
    is unread in the server's sockets. Call it once the requests are sent
    (Client.request's sent): then it means the server has them all."""
    for local, remote, state, tx, rx in _tcp_sockets():
        if local == server.port and state == "0A" and rx:  # LISTEN: rx is the accept queue
            return False
        if state != "01":  # ESTABLISHED only
            continue
        if local == server.port and rx:  # the server's end: bytes it has not read
            return False
        if remote == server.port and tx:  # a client's end: bytes not yet received
            return False
    return True


# -- reading a page refused back (the pages' own forms) ----------------------

def value_of(page, name):
    """The value attribute of the input named name ('' when empty, None
    when there is no such input)."""
    m = re.search(r'<input[^>]*\bname="' + re.escape(name) + r'"[^>]*>', page)
    if not m:
        return None
    v = re.search(r'\bvalue="([^"]*)"', m.group(0))
    return html.unescape(v.group(1)) if v else ""


def value_at(page, input_id):
    """The value of the input with this id ('' when empty, None when none)."""
    m = re.search(r'<input[^>]*\bid="' + re.escape(input_id) + r'"[^>]*>', page)
    v = m and re.search(r'\bvalue="([^"]*)"', m.group(0))
    return None if not m else html.unescape(v.group(1)) if v else ""


def problem_of(page, input_id):
    """The text of the problem tied to an input (aria-describedby), or None."""
    m = re.search(r'<p class="fr-error" id="' + re.escape(input_id) + r'-problem">([^<]*)</p>', page)
    return html.unescape(m.group(1)) if m else None


def alert(page):
    """The texts of the alerts at the top of forms and next to buttons, as one."""
    return " ".join(html.unescape(x) for x in re.findall(r'role="alert">([^<]*)</p>', page))


def form_open(page, details_id):
    """True when the <details> holding a form is open."""
    return re.search(r'<details id="' + re.escape(details_id) + r'" open>', page) is not None


def focused(page):
    """The id of the element that takes the focus (autofocus), or None."""
    m = re.search(r'<(?:input|select|textarea)[^>]*\bautofocus\b[^>]*>', page)
    i = m and re.search(r'\bid="([^"]*)"', m.group(0))
    return i.group(1) if i else None
