"""GET /api/v1/health, for monitoring (docs/deploy.md, "Monitoring"), on a
running server:
- public: answered without a session, names no patient or user, writes and
  audits nothing; HEAD works too;
- a delivery parked after its last attempt (a Python hook that fails, with
  bus.max-attempts 1): "degraded", saying how many and what to do; "ok"
  again once it is retried and delivered;
- SQLite: a write waiting for the database longer than the site's
  health.commit-slow-ms (1 s here; the test holds the write lock):
  "degraded", commits "slow", with how many wait; the write is
  acknowledged once the lock is let go, and "ok" again. The server has one
  worker thread, so this also checks that a waiting write does not hold
  up the other connections: the committer thread waits, not the worker
  (before, a lone write waited on its worker and the probes behind it
  were answered only once it had ended, 503 after the busy timeout);
- PostgreSQL (--setup postgresql): the database server stopped: 503
  "unavailable" (the detail in the server's log, not in the answer), and
  the server works again by itself once the database server is back: the
  health check says "ok", a write is acknowledged, nothing to restart.
The full disk's "writes refused" is checked by test_full.py."""
import os
import threading

import webtest
from webtest import Checks, Client, Server, Site, wait_until

t = Checks()
marker = os.path.join(webtest.BASE, f"health-fail-{os.getpid()}")
hook = ("import os\nimport filrouge\n\n\n@filrouge.on(\"case.*\")\n"
        "def forward(ev):\n"
        f"    if os.path.exists({marker!r}):\n"
        "        raise RuntimeError(\"le service de garde ne repond pas\")\n")
site = Site(hooks={"forward.py": hook})
site.setting("bus.max-attempts", 1)
site.setting("health.commit-slow-ms", 1000)
# the write waits behind the test's lock as long as the test takes
site.setting("database.busy-timeout-ms", 600000)
site.user("marie", team="Namur")
site.user("root", role="admin")
site.fr("patient", "add", "--family", "Dupont", "--given", "Anne")
srv = Server(site, threads=1)
anon = Client(srv)


def health():
    r = anon.api("GET", "/health")
    return r.status, r.json()


def audit_count():
    return int(site.sql("SELECT count(*) FROM audit")[0][0])


backend = "postgresql" if site.database else "sqlite"
before = audit_count()
status, h = health()
t.check(status == 200 and h["status"] == "ok", "a fresh site is healthy", h)
t.check(h["database"] == {"status": "ok", "backend": backend}, "the database answers", h)
t.check(h["writes"] == {"status": "ok"}, "changes are accepted", h)
t.check(h["commits"]["status"] == "ok" and h["commits"]["waiting"] == 0,
        "no write waits for the database", h)
t.check(h["deliveries"] == {"status": "ok", "failed": 0, "retrying": 0},
        "no delivery parked or retried", h)
t.check(list(h)[0] == "status", "the overall status comes first", list(h))
r = anon.request("HEAD", "/api/v1/health")
t.check(r.status == 200 and r.body == b"", "HEAD /api/v1/health: 200, no body", r.status)
r = anon.api("GET", "/health")
t.check(r.header("Cache-Control") == "no-store", "never cached by a proxy",
        r.header("Cache-Control"))
t.check(audit_count() == before, "the health check writes no audit entry",
        (before, audit_count()))
r = anon.api("POST", "/health")
t.check(r.status == 405, "POST /api/v1/health: 405", r.status)

# A parked delivery: the hook fails once, with bus.max-attempts 1.
marie = Client(srv)
t.check(marie.login("marie").status == 200, "marie logs in")
open(marker, "w").close()
r = marie.api("POST", "/cases", {"patient_id": 1, "workflow": "frailty", "team": "Namur",
                                 "manager": "marie"})
t.check(r.status == 201, "a case is opened (its events go to the hook)", r.text)
wait_until(lambda: health()[1]["deliveries"]["failed"] > 0)
status, h = health()
t.check(status == 200 and h["status"] == "degraded", "a parked delivery: degraded, still 200", h)
d = h["deliveries"]
t.check(d["status"] == "failed" and d["failed"] >= 1, "the parked deliveries are counted", d)
t.check("filrouge events failed" in d["message"] and "events retry" in d["message"],
        "the message says what to do", d)
t.check("Dupont" not in str(h) and "marie" not in str(h), "no patient or user named", h)
os.unlink(marker)
site.fr("events", "retry", "--all")
wait_until(lambda: health()[1]["status"] == "ok")
t.check(health()[1]["deliveries"]["failed"] == 0, "retried and delivered: ok again")

if backend == "sqlite":
    import sqlite3
    lock = sqlite3.connect(os.path.join(site.dir, "filrouge.db"), isolation_level=None,
                           timeout=30)
    lock.execute("BEGIN IMMEDIATE")
    result = []
    writer = threading.Thread(target=lambda: result.append(marie.api(
        "POST", "/patients", {"family_name": "Attente", "given_names": "B"})))
    writer.start()
    # the write waits for the lock (the site's threshold is 1 s), or has
    # ended: then the check below says how
    wait_until(lambda: health()[1]["commits"]["oldest_ms"] >= 1000 or not writer.is_alive())
    status, h = health()
    c = h["commits"]
    t.check(status == 200 and h["status"] == "degraded" and c["status"] == "slow",
            "a write waiting over the site's threshold (1 s): degraded, commits slow",
            (h, result and (result[0].status, result[0].text)))
    t.check("another program may hold it" in c.get("message", ""), "the message says why", c)
    t.check(c["running"] + c["waiting"] == 1, "the one write counted, in the batch or queued", c)
    lock.execute("ROLLBACK")
    lock.close()
    writer.join()
    t.check(result and result[0].status == 201, "the write is acknowledged once the lock goes",
            result and result[0].text)
    # the write's delivery pass may still hold the committer a moment
    wait_until(lambda: health()[1]["status"] == "ok")
    status, h = health()
    t.check(h["status"] == "ok" and h["commits"]["oldest_ms"] < 1000, "ok again", h)
else:
    host = webtest.pg_server("stop")
    status, h = health()
    t.check(status == 503 and h["status"] == "unavailable", "database server stopped: 503", h)
    # the test's log is outside the site's folder (FILROUGE_LOG): named by
    # its variable, not by a server path
    t.check(h["database"]["status"] == "unavailable" and "$FILROUGE_LOG" in h["database"]["message"]
            and srv.log not in h["database"]["message"],
            "the answer points to the log, without a server path", h)
    t.check("could not" not in str(h) and host not in str(h), "no detail of the error", h)
    health()
    health()
    with open(srv.log) as f:
        said = f.read().count("health: the database cannot be read")
    t.check(said == 1, "the log has the detail, once for three probes", said)
    r = marie.api("POST", "/patients", {"family_name": "Pendant", "given_names": "C"})
    t.check(r.status == 503 and r.json()["error"]["code"] == "database-unavailable",
            "a write meanwhile: 503 database-unavailable (not 'log in first')",
            (r.status, r.text))
    t.check("try again in a moment" in r.json()["error"]["message"].lower(),
            "the message says what to do", r.text)
    r = marie.request("GET", "/caseload")
    t.check(r.status == 503 and "Base de données injoignable" in r.text,
            "a page meanwhile: 503, said in French", (r.status, r.text[:300]))
    r = Client(srv).login("root")
    t.check(r.status == 503 and r.json()["error"]["code"] == "database-unavailable",
            "a login meanwhile: 503, not 'wrong login or password'", (r.status, r.text))
    c = Client(srv)
    c.request("GET", "/login")
    r = c.form("/login", {"login": "root", "password": "correct-horse",
                          "_login": c.cookies.get("fr_login", "")}, csrf=False)
    t.check(r.status == 503 and "Base de données injoignable" in r.text,
            "the login page meanwhile: 503, not 'wrong password'", (r.status, r.text[:300]))
    with open(srv.log) as f:
        log = f.read()
    t.check(log.count("the database cannot be reached: requests are answered 503") == 1,
            "the outage is logged once", log[-2000:])
    t.check(log.count("POST /api/v1/patients") + log.count("GET /caseload") +
            log.count("POST /login") + log.count("POST /api/v1/session") <= 1,
            "and the requests that met it are not logged one by one", log[-2000:])
    webtest.pg_server("start")
    wait_until(lambda: health()[0] == 200)
    with open(srv.log) as f:
        t.check("health: the database answers again" in f.read(), "the log says when it ends")
    status, h = health()
    t.check(status == 200 and h["status"] == "ok", "the database server is back: ok", h)
    r = marie.api("POST", "/patients", {"family_name": "Apres", "given_names": "D"})
    t.check(r.status == 201, "a write is acknowledged again, without a restart", r.text)
    r = marie.api("GET", "/patients?q=Apres")
    t.check(r.status == 200 and len(r.json()) == 1, "and read back", r.text)
    t.check(Client(srv).login("root").status == 200, "logins work again")
    with open(srv.log) as f:
        t.check("the database answers again" in f.read(), "the end of the outage is logged")
    # The listener (LISTEN/NOTIFY) listens again too.
    wait_until(lambda: "notifications from other processes again" in open(srv.log).read())
    t.check(site.sql("SELECT count(*) FROM patients WHERE family_name = 'Pendant'")[0][0]
            in (0, "0"), "the refused write is not there")

t.check(srv.stop() == 0, "the server stops cleanly")
t.finish()
