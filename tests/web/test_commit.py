"""Group commit under concurrency, on a real server: while the test holds
the database's write lock, concurrent requests queue in the server's
committer and then share one durable transaction (a savepoint each).
Refused requests (an invalid submission, an event the workflow does not
allow) are refused alone: the others of the batch are stored. Every
acknowledged write is in the database afterwards, the audit chain
verifies, and reads of a case page leave ONE audit entry each (the other
objects read listed in its detail), written before the page is sent."""
import json
import re
import sqlite3
import threading

import webtest

from webtest import Checks, Client, Server, Site

webtest.needs_sqlite("it holds the SQLite write lock to queue requests together")

t = Checks()
site = Site(plugins=("forms",))
# The test holds SQLite's write lock while it checks what waits behind
# it: the writes wait as long as it takes, not the default 10 s (on a
# loaded machine the test may take longer than that to reach its checks).
site.setting("database.busy-timeout-ms", 600000)
site.user("marie", team="Namur")
srv = Server(site)
DB = site.dir + "/filrouge.db"

marie = Client(srv)
t.check(marie.login("marie").status == 200, "marie logs in")
cases = []
for i in range(6):
    pid = marie.api("POST", "/patients", {"family_name": f"Dupont{i}", "given_names": "Anne",
                                          "birth_date": "12/03/1941"}).json()["id"]
    r = marie.api("POST", "/cases", {"patient_id": pid, "workflow": "assess", "team": "Namur"})
    cases.append(r.json()["id"])
t.check(len(cases) == 6, "six cases opened")

GOOD = {"total": 8, "date": "2026-01-10", "assessor": "Marie", "instrument-version": "1",
        "licence": "UA-1"}
BAD = dict(GOOD, total=25)  # out of range: refused with the problem of "total"

# What each concurrent request does: (kind, case, expected status).
jobs = []
for i in range(24):
    jobs.append(("submit-bad" if i % 6 == 3 else "submit", cases[i % 6]))
jobs.append(("fire-close", cases[0]))
jobs.append(("fire-reopen", cases[1]))  # not allowed from "screening": 409
jobs.append(("read", cases[2]))
jobs.append(("read", cases[3]))

results = [None] * len(jobs)
sent = threading.Semaphore(0)


def run(k):
    kind, cid = jobs[k]
    c = Client(srv)
    c.cookies, c.csrf = dict(marie.cookies), marie.csrf
    s = sent.release  # once the request is sent whole
    if kind == "submit":
        r = c.api("POST", f"/cases/{cid}/submissions", {"form": "efs", "data": GOOD}, sent=s)
    elif kind == "submit-bad":
        r = c.api("POST", f"/cases/{cid}/submissions", {"form": "efs", "data": BAD}, sent=s)
    elif kind == "fire-close":
        r = c.api("POST", f"/cases/{cid}/events", {"event": "close"}, sent=s)
    elif kind == "fire-reopen":
        r = c.api("POST", f"/cases/{cid}/events", {"event": "reopen"}, sent=s)
    else:
        r = c.request("GET", f"/cases/{cid}", sent=s)
    results[k] = r


# Hold the write lock: the committer's first batch waits for it, and the
# requests arriving meanwhile queue for the next batch.
lock = sqlite3.connect(DB, isolation_level=None, timeout=30)
lock.execute("BEGIN IMMEDIATE")
threads = [threading.Thread(target=run, args=(k,)) for k in range(len(jobs))]
for th in threads:
    th.start()
for _ in threads:
    sent.acquire()
# Every request is sent whole; wait until the committer holds them all
# (queued, or in its first batch, which waits for the lock).
webtest.wait_until(lambda: webtest.committer_holds(srv, len(jobs)), pause=0.01)
early = [r for r in results if r is not None]
t.check(not early, "no write is acknowledged while the database is locked",
        [r.status for r in early])
lock.execute("ROLLBACK")
lock.close()
for th in threads:
    th.join()

by_kind = {}
for (kind, cid), r in zip(jobs, results):
    by_kind.setdefault(kind, []).append(r)
ok_subs = [r for r in by_kind["submit"] if r.status == 201]
t.check(len(ok_subs) == len(by_kind["submit"]), "every valid submission is stored (201)",
        [(r.status, r.text[:200]) for r in by_kind["submit"] if r.status != 201])
bad = by_kind["submit-bad"]
t.check(all(r.status == 400 and any(p["field"] == "total"
                                    for p in r.json()["error"].get("problems", []))
            for r in bad),
        "each invalid submission is refused alone, with its field's problem",
        [(r.status, r.text[:200]) for r in bad])
t.check(by_kind["fire-close"][0].status == 200, "the allowed event is fired",
        by_kind["fire-close"][0].text)
t.check(by_kind["fire-reopen"][0].status == 409, "the event the workflow refuses is a 409",
        by_kind["fire-reopen"][0].text)
t.check(all(r.status == 200 and "Dupont" in r.text for r in by_kind["read"]),
        "the case pages are shown", [r.status for r in by_kind["read"]])

# Every acknowledged write is in the database.
db = sqlite3.connect(DB)
ids = [r.json()["id"] for r in ok_subs]
stored = {row[0] for row in db.execute("SELECT id FROM submissions")}
t.check(all(i in stored for i in ids), "every acknowledged submission is in the database",
        sorted(set(ids) - stored))
t.check(len(stored) == len(ids), "and nothing of the refused ones",
        f"{len(stored)} stored, {len(ids)} acknowledged")
state = db.execute("SELECT state FROM cases WHERE id = ?", (cases[0],)).fetchone()[0]
t.check(state == "done", "the fired event's transition is stored", state)

# One audit entry for each case page read, the other objects in its detail.
reads = db.execute("SELECT object_type, object_id, detail FROM audit WHERE action = 'read'"
                   " AND object_type = 'case' AND object_id IN (?, ?)",
                   (str(cases[2]), str(cases[3]))).fetchall()
t.check(len(reads) == 2, "one read entry per case page", reads)
also = json.loads(reads[0][2]).get("also", []) if reads else []
t.check(any(a.get("object_type") == "careplan" for a in also),
        "the page's other reads are listed in the entry's detail", reads)
plan = next((a for a in also if a.get("object_type") == "careplan"), {})
db.close()
r = site.fr("--json", "audit", "show", "--type", "careplan", "--id", str(plan.get("object_id")),
            check=False)
found = json.loads(r.stdout) if r.returncode == 0 else []
t.check(any(e["object_type"] == "case" and e["action"] == "read" for e in found),
        "searching the audit for the care plan finds the page's entry that lists it",
        r.stdout + r.stderr)

r = site.fr("audit", "verify", check=False)
t.check(r.returncode == 0, "the audit chain verifies after the concurrent run",
        r.stdout + r.stderr)

# The caches (sessions, caseload) never serve what a commit changed.
before = marie.api("GET", "/caseload").json()
again = marie.api("GET", "/caseload").json()
t.check(before == again, "the caseload asked twice is the same", again)
pid = marie.api("POST", "/patients", {"family_name": "Nouveau", "given_names": "Paul",
                                      "birth_date": "01/01/1940"}).json()["id"]
r = marie.api("POST", "/cases", {"patient_id": pid, "workflow": "assess", "team": "Namur"})
after = marie.api("GET", "/caseload").json()
t.check(len(after["cases"]) == len(before["cases"]) + 1,
        "a case opened since is in the next caseload", (len(before["cases"]), after))
# ... nor what another process committed (the CLI on the same database)
site.fr("case", "open", str(pid), "--workflow", "assess", "--manager", "marie", "--team", "Namur")
cli = marie.api("GET", "/caseload").json()
t.check(len(cli["cases"]) == len(after["cases"]) + 1,
        "a case opened by another process is in the next caseload", (len(after["cases"]), cli))
other = Client(srv)
other.cookies, other.csrf = dict(marie.cookies), marie.csrf
t.check(other.api("GET", "/me").status == 200, "a copy of the session cookie works")
t.check(marie.api("DELETE", "/session").status in (200, 204), "marie logs out")
r = other.api("GET", "/caseload")
t.check(r.status == 401, "the logged-out session is refused at once (not served from memory)",
        r.status)

t.check(srv.stop() == 0, "the server stops cleanly")
log = open(site.env["FILROUGE_LOG"], encoding="utf-8").read()
m = re.findall(r"group commit: (\d+) jobs in (\d+) transactions", log)
jobs_n, batches_n = (int(m[-1][0]), int(m[-1][1])) if m else (0, 0)
t.check(m and batches_n < jobs_n - 10,
        "requests that arrived together shared transactions", f"{jobs_n} jobs, {batches_n} batches")
print(f"# {jobs_n} jobs in {batches_n} transactions")

# A full database (the site's size limit): a write is refused with a clear
# error, and a read whose audit entry cannot be stored is not shown.
import os  # noqa: E402
size_kb = os.path.getsize(DB) // 1024
site.setting("database.max-size-mb", "%.3f" % ((size_kb + 60) / 1024))
srv = Server(site)
marie = Client(srv)
t.check(marie.login("marie").status == 200, "marie logs in again on the limited site")
big = "x" * 480
status, n = 201, 0
while status == 201 and n < 2000:
    r = marie.api("POST", "/patients", {"family_name": f"Plein{n}", "given_names": "X",
                                        "address": big, "birth_date": "01/01/1950"})
    status, n = r.status, n + 1
t.check(status >= 500 and "database.max-size-mb" not in r.text and "/" not in
        r.json()["error"]["message"],
        "a write beyond the limit is refused without a path or detail", (n, status, r.text))
for k in range(400):  # smaller rows, until not even those fit
    r = marie.api("POST", "/patients", {"family_name": f"P{k}", "given_names": "X"})
    if r.status != 201:
        break
for k in range(5000):  # each read adds its audit entry, until none fits
    r = marie.api("GET", f"/cases/{cases[4]}")
    if r.status != 200:
        break
t.check(r.status == 503 and r.json()["error"]["code"] == "storage"
        and "Dupont" not in r.text,
        "a read whose audit entry cannot be stored is not shown (503 storage)", r.text[:300])
r = marie.request("GET", f"/cases/{cases[4]}")
t.check(r.status == 503 and "Dupont" not in r.text and "Non enregistr" in r.text,
        "the case page likewise, with a clear message", r.text[:300])
t.check(srv.stop() == 0, "the limited server stops cleanly")
r = site.fr("audit", "verify", check=False)
t.check(r.returncode == 0, "the audit chain is intact after the full database", r.stdout + r.stderr)
t.finish()
