"""A full database under a running server (the site's size limit
database.max-size-mb stands for a full disk, in every environment;
tests/cli/disk.sh fills real filesystems): reads and a write that arrive
together (queued behind the test's hold of the write lock, so that they
share group commits) are separated when the batch fails for lack of space:
the store gives its reserve up, the reads are answered and audited, the
write is refused with 503 disk-full, nothing of it is stored; later writes
are refused likewise, and accepted again once there is room. What a read
needs goes on under the reserve: a new login, a break-glass access."""
import os
import sqlite3
import threading

from webtest import Checks, Client, Server, Site, committer_holds, needs_sqlite, wait_until

needs_sqlite("it fills the SQLite file up to its limit and uses its reserve")

t = Checks()
site = Site()
# The test holds SQLite's write lock while it checks what waits behind
# it: the writes wait as long as it takes, not the default 10 s (on a
# loaded machine the test may take longer than that to reach its checks).
site.setting("database.busy-timeout-ms", 600000)
site.user("marie", team="Namur")
site.user("root", role="admin")
site.user("dr-j", role="provider")
for i in range(5):
    site.fr("patient", "add", "--family", f"Avant{i}", "--given", "X")
out = site.fr("case", "open", "1", "--workflow", "frailty", "--team", "Namur", "--manager",
              "marie").stdout
CASE = int(out.split()[1])
DB = site.dir + "/filrouge.db"
RESERVE = DB + "-reserve"
t.check(os.path.getsize(RESERVE) == 512 * 1024, "a reserve of 512 KiB beside the database")
limit = (os.path.getsize(DB) // 1024 + 60) / 1024
site.setting("database.max-size-mb", f"{limit:.3f}")
srv = Server(site)
marie = Client(srv)
t.check(marie.login("marie").status == 200, "marie logs in")
admin = Client(srv)
t.check(admin.login("root").status == 200, "an administrator logs in")

# Fill up to the limit: big writes, then small ones, until refused.
big = "x" * 480
last = None
for size in (big, "y"):
    for n in range(400):
        last = marie.api("POST", "/patients", {"family_name": f"Plein{n}", "given_names": "X",
                                               "address": size})
        if last.status != 201:
            break
t.check(last.status == 503 and last.json()["error"]["code"] == "disk-full",
        "a write beyond the limit is refused: 503 disk-full", (last.status, last.text))
t.check("administrator frees space" in last.json()["error"]["message"],
        "the message says what to do", last.text)

jobs = ["read", "read", "write", "read", "read", "write", "read"]
results = [None] * len(jobs)
sent = threading.Semaphore(0)


def run(k):
    c = Client(srv)
    c.cookies, c.csrf = dict(marie.cookies), marie.csrf
    if jobs[k] == "read":
        results[k] = c.api("GET", "/patients/2", sent=sent.release)
    else:
        results[k] = c.api("POST", "/patients", {"family_name": f"Ensemble{k}",
                                                 "given_names": "Z"}, sent=sent.release)


db = sqlite3.connect(DB)
reads_before = db.execute("SELECT count(*) FROM audit WHERE action = 'read'").fetchone()[0]
lock = sqlite3.connect(DB, isolation_level=None, timeout=30)
lock.execute("BEGIN IMMEDIATE")
threads = [threading.Thread(target=run, args=(k,)) for k in range(len(jobs))]
for th in threads:
    th.start()
for _ in threads:
    sent.acquire()
# Every request is sent whole; wait until the committer holds them all.
wait_until(lambda: committer_holds(srv, len(jobs)), pause=0.01)
lock.execute("ROLLBACK")
lock.close()
for th in threads:
    th.join()
reads = [r for k, r in zip(jobs, results) if k == "read"]
writes = [r for k, r in zip(jobs, results) if k == "write"]
t.check(all(r.status == 200 and "Avant1" in r.text for r in reads),
        "the reads are answered", [(r.status, r.text[:120]) for r in reads])
t.check(all(r.status == 503 and r.json()["error"]["code"] == "disk-full" for r in writes),
        "the writes arriving with them are refused (503 disk-full), not lost silently",
        [(r.status, r.text[:120]) for r in writes])
reads_after = db.execute("SELECT count(*) FROM audit WHERE action = 'read'").fetchone()[0]
t.check(reads_after >= reads_before + len(reads), "every read answered was audited",
        (reads_before, reads_after))
t.check(db.execute("SELECT count(*) FROM patients WHERE family_name LIKE 'Ensemble%'")
        .fetchone()[0] == 0, "nothing of the refused writes was stored")
t.check(not os.path.exists(RESERVE), "the reserve was given up")
log = open(site.env["FILROUGE_LOG"]).read()
t.check("disk space: the reserve was given up" in log and "changes are refused" in log,
        "the server logged it", log[-2000:])

r = admin.request("GET", "/admin")
t.check(r.status == 200 and "plein" in r.text, "the administration page says the disk is full",
        (r.status, r.text[-600:]))

r = marie.api("POST", "/patients", {"family_name": "Encore", "given_names": "Z"})
t.check(r.status == 503 and r.json()["error"]["code"] == "disk-full",
        "later writes are refused too", r.text)
# A session is the access record a read needs: a new login goes through
# under the reserve, and its user reads.
again = Client(srv)
r = again.login("marie")
t.check(r.status == 200, "a new login works while the disk is full", (r.status, r.text))
r = again.api("GET", "/patients/2")
t.check(r.status == 200 and "Avant1" in r.text, "and its user reads", (r.status, r.text[:200]))
t.check(Client(srv).login("marie", "wrong-password").status == 401,
        "a wrong password is still refused (and the failure kept for the throttle)")
# Break-glass likewise: an emergency read must not wait for the disk.
dr = Client(srv)
t.check(dr.login("dr-j").status == 200, "a provider logs in while the disk is full")
r = dr.api("GET", f"/cases/{CASE}")
t.check(r.status == 403, "without a care relationship: 403", (r.status, r.text))
r = dr.api("GET", f"/cases/{CASE}", headers={"X-Break-Glass": "urgence, appel du SAMU"})
t.check(r.status == 200, "break-glass with a reason opens the case on a full disk",
        (r.status, r.text[:200]))
r = dr.api("POST", f"/cases/{CASE}/break-glass", {"reason": "garde de nuit, chute"})
t.check(r.status == 200, "POST break-glass goes through the committer on a full disk too",
        (r.status, r.text[:200]))
r = dr.api("POST", "/patients", {"family_name": "Urgence", "given_names": "Z"})
t.check(r.status == 503 and r.json()["error"]["code"] == "disk-full",
        "a clinical change is still refused", r.text)
n_glass = db.execute("SELECT count(*) FROM break_glass WHERE case_id = ?", (CASE,)).fetchone()[0]
t.check(n_glass == 2, "both break-glass accesses were recorded", n_glass)
logins = db.execute("SELECT count(*) FROM audit WHERE action = 'login'").fetchone()[0]
t.check(logins >= 4, "the logins are in the audit trail", logins)
for _ in range(20):
    r = marie.api("GET", "/patients/3")
    if r.status != 200:
        break
t.check(r.status == 200, "later reads go on", r.text)

# Room again: a higher limit (read at start), the reserve comes back.
srv.stop()
xml = site.dir + "/site.xml"
with open(xml) as f:
    text = f.read()
with open(xml, "w") as f:
    f.write(text.replace(f"{limit:.3f}", "200"))
srv = Server(site)
marie = Client(srv)
marie.login("marie")
r = marie.api("POST", "/patients", {"family_name": "Apres", "given_names": "Z"})
t.check(r.status == 201, "writes are accepted again once there is room", r.text)
t.check(os.path.getsize(RESERVE) == 512 * 1024, "the reserve is back")
t.check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "the database is sound")
db.close()
r = site.fr("audit", "verify", check=False)
t.check(r.returncode == 0, "the audit chain verifies", r.stdout + r.stderr)
srv.stop()
t.finish()
