"""A submission is validated and computed on its worker before it reaches
the committer, which decides again, inside the write transaction, what may
have changed in between. The test holds the database's write lock while the
requests are prepared and queued, changes the state in that same locked
transaction (a care relationship ended, a draft finalised elsewhere), then
lets the committer run: each request is refused with the error it would
have had if it had arrived after the change, with the same audit entry,
and nothing of it is stored."""
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
site.user("paul", role="provider")
srv = Server(site)
DB = site.dir + "/filrouge.db"

marie = Client(srv)
t.check(marie.login("marie").status == 200, "marie logs in")
paul = Client(srv)
t.check(paul.login("paul").status == 200, "paul logs in")
pid = marie.api("POST", "/patients", {"family_name": "Dupont", "given_names": "Anne",
                                      "birth_date": "12/03/1941"}).json()["id"]
cid = marie.api("POST", "/cases", {"patient_id": pid, "workflow": "assess",
                                   "team": "Namur"}).json()["id"]

db = sqlite3.connect(DB, isolation_level=None, timeout=30)
paul_id = db.execute("SELECT id FROM users WHERE login = 'paul'").fetchone()[0]
db.execute("INSERT INTO network_members (case_id, kind, name, user_id, created_at)"
           " VALUES (?, 'formal', 'Paul', ?, '2026-01-01T00:00:00Z')", (cid, paul_id))

GOOD = {"total": 8, "date": "2026-01-10", "assessor": "Paul", "instrument-version": "1",
        "licence": "UA-1"}
BAD = dict(GOOD, total=25)

r = paul.api("POST", f"/cases/{cid}/submissions", {"form": "efs", "data": GOOD})
t.check(r.status == 201 and r.json().get("scores"), "paul, in the network, submits (201)",
        r.text[:300])
r = paul.api("POST", f"/cases/{cid}/submissions", {"form": "efs", "data": BAD})
t.check(r.status == 400 and any(p["field"] == "total" for p in r.json()["error"]["problems"]),
        "an invalid submission is refused with its field's problem", r.text[:300])


def count(sql, *args):
    return db.execute(sql, args).fetchone()[0]


def while_locked(requests, change):
    """Sends the requests while the write lock is held, applies change in
    the locked transaction, commits it, and returns the answers."""
    results = [None] * len(requests)
    sent = threading.Semaphore(0)

    def run(k):
        client, body = requests[k]
        results[k] = client.api("POST", f"/cases/{cid}/submissions", body, sent=sent.release)

    db.execute("BEGIN IMMEDIATE")
    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(requests))]
    for th in threads:
        th.start()
    for _ in threads:
        sent.acquire()
    # Every request is sent whole; wait until the committer holds them all,
    # prepared by their workers (reads only: they do not wait for the lock
    # held here) and handed over.
    webtest.wait_until(lambda: webtest.committer_holds(srv, len(requests)), pause=0.01)
    early = [r for r in results if r is not None]
    t.check(not early, "nothing is answered while the database is locked",
            [r.status for r in early])
    change()
    db.execute("COMMIT")
    for th in threads:
        th.join()
    return results


# The care relationship ends between the preparation and the commit.
subs = count("SELECT count(*) FROM submissions")
denied = count("SELECT count(*) FROM audit WHERE action = 'denied' AND actor = 'paul'")
good, bad = while_locked(
    [(paul, {"form": "efs", "data": GOOD}), (paul, {"form": "efs", "data": BAD})],
    lambda: db.execute("DELETE FROM network_members WHERE user_id = ?", (paul_id,)))
t.check(good.status == 403 and "no care relationship" in good.text,
        "access ended in between: the prepared submission is refused (403)", good.text[:300])
t.check(bad.status == 403 and "no care relationship" in bad.text,
        "an invalid one is refused for its access first, as before", bad.text[:300])
t.check(count("SELECT count(*) FROM submissions") == subs, "nothing of them is stored")
t.check(count("SELECT count(*) FROM audit WHERE action = 'denied' AND actor = 'paul'")
        == denied + 2, "each refusal has its one 'denied' audit entry")

# A draft finalised elsewhere between the preparation and the commit.
r = marie.api("POST", f"/cases/{cid}/submissions", {"form": "efs", "data": GOOD, "draft": True})
t.check(r.status == 201, "marie saves a draft", r.text[:300])
draft = r.json()["id"]
subs = count("SELECT count(*) FROM submissions")
(fin,) = while_locked(
    [(marie, {"form": "efs", "data": GOOD, "draft_id": draft})],
    lambda: db.execute("UPDATE submissions SET status = 'final' WHERE id = ?", (draft,)))
t.check(fin.status == 409 and "is final, not a draft" in fin.text,
        "the draft finalised in between: refused (409) with the usual message", fin.text[:300])
t.check(count("SELECT count(*) FROM submissions") == subs, "and nothing stored")

# Amended in between: a conflict.
final = marie.api("POST", f"/cases/{cid}/submissions", {"form": "efs", "data": GOOD}).json()["id"]
other = marie.api("POST", f"/cases/{cid}/submissions", {"form": "efs", "data": GOOD}).json()["id"]
(am,) = while_locked(
    [(marie, {"form": "efs", "data": GOOD, "amends": final, "reason": "typo"})],
    lambda: db.execute("UPDATE submissions SET superseded_by = ? WHERE id = ?", (other, final)))
t.check(am.status == 409 and "already amended" in am.text,
        "amended in between: a conflict (409)", am.text[:300])

# The form page goes the same way (prepared, then stored on the committer).
fields = {"total": "5", "date": "2026-01-11", "assessor": "Marie", "instrument-version": "1",
          "licence": "UA-1", "_action": "final"}
before = count("SELECT count(*) FROM submissions WHERE status = 'final'")
r = marie.form(f"/cases/{cid}/forms/efs", fields)
t.check(r.status in (302, 303), "the form page's submission is saved", r.status)
t.check(count("SELECT count(*) FROM submissions WHERE status = 'final'") == before + 1,
        "and stored")
r = marie.form(f"/cases/{cid}/forms/efs", dict(fields, total="30"))
t.check(r.status == 422 and "fr-error" in r.text, "an invalid one shows its error", r.status)
db.close()

t.check(srv.stop() == 0, "the server stops cleanly")
r = site.fr("audit", "verify", check=False)
t.check(r.returncode == 0, "the audit chain verifies", r.stdout + r.stderr)
t.finish()
