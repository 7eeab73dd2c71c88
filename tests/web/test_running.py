"""The servers running on a site (core/running.h; docs/admin.md, "A running
server"), on either store:
- a running `filrouge serve` has its file run/serve-PID.pid in the site
  folder, removed when it stops;
- SQLite: a second server on the same site is refused at start (exit 1,
  naming the first's process), and the first goes on serving; PostgreSQL:
  a second one starts (several servers may share a site, deploy.md);
- `filrouge hooks reload` with the server running: a hook file added
  meanwhile gets the running server's events, and the command says that
  the server reloads;
- `filrouge plugin enable` with the server running: its workflows are
  served at once, without SIGHUP;
- SQLite: `filrouge restore` refuses while a server runs (exit 1, nothing
  set aside), and restores once it has stopped; `migrate-store` refuses
  too;
- SIGHUPs in a row, and a SIGTERM right after the start, are taken by the
  server (reload; a clean stop), never by a thread that dies of them;
- a server killed with -9 leaves its file behind, which stops neither the
  next server nor a restore."""
import json
import os
import signal
import subprocess

import webtest
from webtest import Checks, Client, Server, Site, wait_until

t = Checks()
site = Site()
site.user("marie", team="Namur")
site.user("root", role="admin")
run = os.path.join(site.dir, "run")


def files():
    return sorted(f for f in os.listdir(run) if not f.startswith(".")) if os.path.isdir(run) else []


srv = Server(site)
t.check(files() == [f"serve-{srv.proc.pid}.pid"], "the server's file names its process", files())
for name in files():
    with open(os.path.join(run, name)) as f:
        t.check(f.read().strip() == str(srv.proc.pid), "and holds its pid, for people")

second = subprocess.run([webtest.FR, "serve", "--listen", "127.0.0.1:0"], env=site.env,
                        capture_output=True, text=True, timeout=60) if not site.database else None
if second:
    t.check(second.returncode == 1 and f"process {srv.proc.pid}" in second.stderr and
            "stop it first" in second.stderr,
            "SQLite: a second server on the site is refused, naming the first",
            (second.returncode, second.stderr))
else:
    other = Server(site, log=os.path.join(site.tmp, "other.log"))
    t.check(len(files()) == 2, "PostgreSQL: a second server may share the site", files())
    t.check(other.stop() == 0 and len(files()) == 1, "and its file goes when it stops", files())
marie = Client(srv)
t.check(marie.login("marie").status == 200, "the first server goes on serving")

# A hook file added while the server runs, then `hooks reload`.
records = os.path.join(site.tmp, "records.txt")
with open(os.path.join(site.dir, "hooks", "record.py"), "w") as f:
    f.write(webtest.recording_hook(records))
p = site.fr("hooks", "reload", "--json")
out = json.loads(p.stdout)
t.check(out["servers_told"] == 1 and "the running server reloads them too" in out["message"],
        "hooks reload tells the running server", p.stdout)
# The main thread logs the signal at once; the reload itself (workers,
# committer) is the background thread's, logged when done: a case opened
# before that would be delivered by a committer without the hook.
wait_until(lambda: "workers reopened the site" in open(srv.log).read())
site.fr("patient", "add", "--family", "Dupont", "--given", "Anne")
r = marie.api("POST", "/cases", {"patient_id": 1, "workflow": "frailty", "team": "Namur",
                                 "manager": "marie"})
t.check(r.status == 201, "a case opened after the reload", r.text)
wait_until(lambda: os.path.exists(records) and "case.opened" in open(records).read())
t.check("case.opened" in open(records).read(), "the new hook gets the running server's events")

# A plugin enabled on the command line is served at once.
root = Client(srv)
t.check(root.login("root").status == 200, "root logs in")
before = [w["id"] for w in root.api("GET", "/workflows").json()]
p = site.fr("plugin", "enable", "psychosis")
t.check("the running server reloads it" in p.stdout, "plugin enable says so", p.stdout)
wait_until(lambda: "psychosis" in [w["id"] for w in root.api("GET", "/workflows").json()])
t.check("psychosis" not in before, "the psychosis workflow was not there before", before)

# The signals are the main thread's (sigwait): every other thread blocks
# them. A thread started before they were blocked (the committer's, the
# listener's) once took a SIGTERM or SIGHUP that came while the main
# thread was not waiting (just after the start, between two SIGHUPs), and
# the process died of it.
def unblocked(pid):
    wanted = (1 << (signal.SIGHUP - 1)) | (1 << (signal.SIGINT - 1)) | \
        (1 << (signal.SIGTERM - 1))
    bad = []
    for task in os.listdir(f"/proc/{pid}/task"):
        if task == str(pid):
            continue  # the main thread: in sigwait, which unblocks them meanwhile
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                status = dict(line.split(":\t", 1) for line in f if ":\t" in line)
        except FileNotFoundError:
            continue  # a thread that has just ended
        if int(status["SigBlk"], 16) & wanted != wanted:
            bad.append(status["Name"].strip())
    return bad


t.check(unblocked(srv.proc.pid) == [], "no thread of the server but the main one takes "
        "SIGTERM, SIGINT or SIGHUP", unblocked(srv.proc.pid))
for _ in range(30):
    os.kill(srv.proc.pid, signal.SIGHUP)
r = marie.api("GET", "/caseload")
t.check(srv.proc.poll() is None and r.status == 200, "30 SIGHUPs in a row: still serving",
        (srv.proc.poll(), r.status))

# restore refuses while the server runs (SQLite: backup and restore are
# PostgreSQL's own tools there).
backup = os.path.join(site.tmp, "backup")
if not site.database:
    site.fr("backup", backup)
    p = site.fr("restore", backup, "--site", site.dir, check=False)
    t.check(p.returncode == 1 and f"process {srv.proc.pid}" in p.stderr and
            "stop it first" in p.stderr, "restore refuses while a server runs",
            (p.returncode, p.stderr))
    t.check(not [f for f in os.listdir(site.dir) if "before-restore" in f],
            "nothing was set aside", os.listdir(site.dir))
    p = site.fr("migrate-store", "--to", "postgresql://nobody@127.0.0.1:1/none", check=False)
    t.check(p.returncode == 1 and f"process {srv.proc.pid}" in p.stderr and
            "stop it first" in p.stderr, "migrate-store refuses while a server runs, "
            "before it looks at the destination", (p.returncode, p.stderr))

# A server killed with -9 leaves its file; it is dead, so it stops nothing.
srv.proc.send_signal(signal.SIGKILL)
srv.proc.wait()
t.check(files() == [f"serve-{srv.proc.pid}.pid"], "a killed server's file stays", files())
again = Server(site)
t.check(files() == [f"serve-{again.proc.pid}.pid"],
        "the next server starts, and the dead one's file is removed", files())
t.check(again.stop() == 0, "a server stopped right after its start stops cleanly (exit 0)")
t.check(files() == [], "its file goes with it", files())
if not site.database:
    p = site.fr("restore", backup, "--site", site.dir, check=False)
    t.check(p.returncode == 0, "restore works once the server is stopped", p.stderr)
t.finish()
