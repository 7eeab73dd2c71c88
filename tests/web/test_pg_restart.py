"""The PostgreSQL server crashes under a running `filrouge serve`
(docs/postgresql.md, "A lost connection"). Runs under
tests/pg/with-postgres.sh (started here when FILROUGE_TEST_STORE is not
set; skipped, exit 77, without PostgreSQL).

Four API clients register patients and open cases while the database
server is stopped three times without a shutdown (`pg_ctl stop -m
immediate`: its processes killed, as in a crash) and started again. The
filrouge server is never restarted. Checks:
- while the database is down, requests are refused with a 503 (never a
  401, never a hang), and health says unavailable;
- after each restart, writes are acknowledged again;
- every acknowledged write is in the database exactly once, nothing is
  half-written (each case has its patient, each write its audit entry),
  and the audit chain verifies;
- every event in the outbox reaches a Python hook on every topic at least
  once (the outbox survives the crashes; delivery resumes by itself)."""
import os
import threading
import time

import webtest

webtest.run_under_postgres()

from webtest import Checks, Client, Server, Site, wait_until  # noqa: E402

t = Checks()
# The private test server runs with synchronous_commit off for speed; a
# COMMIT is then acknowledged before its WAL is written, and a crash of the
# server loses it by design. Production keeps PostgreSQL's default (on):
# so does this test, for every connection of the site (docs/postgresql.md).
webtest.psql(webtest.test_store(), "ALTER DATABASE postgres SET synchronous_commit = on")
t.check(webtest.psql(webtest.test_store(), "SHOW synchronous_commit") == [["on"]],
        "synchronous_commit is on, as in production")
records = os.path.join(webtest.BASE, f"pg-restart-deliveries-{os.getpid()}.txt")
site = Site(hooks={"record.py": webtest.recording_hook(records)})
site.user("marie", team="Namur")
site.user("root", role="admin")
srv = Server(site)
probe = Client(srv)

acknowledged = []  # (family name, case id or None)
statuses = {}
lock = threading.Lock()
stop = threading.Event()


def client(k):
    c = Client(srv)
    while c.login("marie").status != 200:
        time.sleep(0.05)
    n = 0
    while not stop.is_set():
        n += 1
        name = f"C{k}N{n}"
        try:
            r = c.api("POST", "/patients", {"family_name": name, "given_names": "X"})
        except OSError as e:  # the server must never drop the connection
            r = None
            with lock:
                statuses[f"connection error {e}"] = statuses.get(f"connection error {e}", 0) + 1
        if r is None:
            continue
        with lock:
            statuses[r.status] = statuses.get(r.status, 0) + 1
        if r.status != 201:
            time.sleep(0.02)
            continue
        pid = r.json()["id"]
        r = c.api("POST", "/cases", {"patient_id": pid, "workflow": "frailty", "team": "Namur",
                                     "manager": "marie"})
        with lock:
            statuses[r.status] = statuses.get(r.status, 0) + 1
            acknowledged.append((name, r.json()["id"] if r.status == 201 else None))


def acked():
    with lock:
        return len(acknowledged)


threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
for th in threads:
    th.start()
wait_until(lambda: acked() >= 10)
for crash in range(3):
    before = acked()
    webtest.pg_server("stop", mode="immediate")
    time.sleep(0.5)  # lets the clients meet the stopped server (not a limit)
    r = probe.api("GET", "/health")
    t.check(r.status == 503 and r.json()["status"] == "unavailable",
            f"crash {crash + 1}: health says unavailable", (r.status, r.text))
    webtest.pg_server("start")
    wait_until(lambda: acked() >= before + 10)
    t.check(True, f"crash {crash + 1}: writes acknowledged again, without restarting filrouge")
stop.set()
for th in threads:
    th.join()

t.check(set(statuses) <= {201, 503}, "every answer was 201 or 503 (no 401, no 500, no drop)",
        statuses)
t.check(statuses.get(503, 0) > 0, "some requests met the stopped database", statuses)
# Each of the server's connections tries the database again at most once a
# second (store_pg.c, "Connection lost"): one that failed just before the
# restart answers "unavailable" for up to a second more, while the others
# already write; the health check then says "ok" by itself.
wait_until(lambda: probe.api("GET", "/health").status == 200)
r = probe.api("GET", "/health")
t.check(r.status == 200 and r.json()["status"] == "ok", "healthy at the end", r.text)

names = [n for n, _ in acknowledged]
rows = site.sql("SELECT family_name, count(*) FROM patients GROUP BY family_name")
counts = {n: int(c) for n, c in rows}
missing = [n for n in names if counts.get(n) != 1]
t.check(not missing, f"all {len(names)} acknowledged patients are there, once each", missing[:10])
cases = [c for _, c in acknowledged if c]
found = {int(r[0]) for r in site.sql("SELECT id FROM cases")}
t.check(set(cases) <= found, f"all {len(cases)} acknowledged cases are there",
        sorted(set(cases) - found)[:10])
orphans = site.sql("SELECT count(*) FROM cases c LEFT JOIN patients p ON p.id = c.patient_id "
                   "WHERE p.id IS NULL")[0][0]
t.check(int(orphans) == 0, "no case without its patient", orphans)
unaudited = site.sql("SELECT count(*) FROM patients p WHERE NOT EXISTS (SELECT 1 FROM audit a "
                     "WHERE a.action = 'create' AND a.object_type = 'patient' "
                     "AND a.object_id = p.id::text)")[0][0]
t.check(int(unaudited) == 0, "every patient stored has its audit entry", unaudited)
out = site.fr("audit", "verify", check=False)
t.check(out.returncode == 0, "the audit chain verifies", out.stdout + out.stderr)

events = {int(r[0]) for r in site.sql("SELECT id FROM outbox")}


def delivered():
    try:
        with open(records) as f:
            return {int(line.split()[0]) for line in f if line.strip()}
    except FileNotFoundError:
        return set()


wait_until(lambda: events <= delivered())
t.check(events and events <= delivered(),
        f"all {len(events)} events of the outbox reached the hook at least once")
wait_until(lambda: "notifications from other processes again" in open(srv.log).read())
t.check(True, "the listener listens again after the crashes")
t.check(srv.stop() == 0, "the server stops cleanly")
t.finish()
