"""Reloading a running server keeps what worked (docs/hooks.md,
"Reloading a running server keeps what worked"), on a real server:
- a site hook file that worked, broken by an edit (a syntax error), then
  `hooks reload` (exit 1, saying the server keeps the last good version,
  and SIGHUP to the server): the last good version goes on receiving the events; the health
  check is "degraded" with a "reload" check naming file:line; /admin says
  so in the user's language; the log says REFUSED; once fixed and
  reloaded, the new version runs and all is "ok" again;
- a plugin that runs (here a small one in the site's plugins/ folder)
  whose workflow is changed without a new version: the reload is refused
  as a whole, its workflow is still served, health and /admin name the
  plugin and the file; the workflow put back, the next reload is taken;
- a hook file that never worked has nothing to keep: it is simply off."""
import os
import signal

from webtest import Checks, Client, Server, Site, recording_hook, wait_until

t = Checks()
site = Site(plugins=("instruments", "frailty"))
records = os.path.join(site.tmp, "records.txt")
hook_path = os.path.join(site.dir, "hooks", "record.py")
good_hook = recording_hook(records)
with open(hook_path, "w") as f:
    f.write(good_hook)

mini = os.path.join(site.dir, "plugins", "mini")
os.makedirs(mini)
with open(os.path.join(mini, "plugin.xml"), "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<plugin xmlns="urn:filrouge:plugin:1" id="mini" version="1.0.0" abi="1">\n'
            '  <description lang="en">A small plugin</description>\n'
            '  <workflow file="mini.xml"/>\n</plugin>\n')
workflow = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<workflow xmlns="urn:filrouge:workflow:1" id="mini" version="1">\n'
            '  <state id="open" initial="true"/>\n  <state id="done" final="true"/>\n'
            '  <transition event="close" from="open" to="done"/>\n</workflow>\n')
with open(os.path.join(mini, "mini.xml"), "w") as f:
    f.write(workflow)
site.fr("plugin", "enable", "mini")
site.user("marie", team="Namur")
site.user("root", role="admin")
site.fr("patient", "add", "--family", "Dupont", "--given", "Anne")
site.fr("patient", "add", "--family", "Martin", "--given", "Paul")
site.fr("patient", "add", "--family", "Peeters", "--given", "Jan")
srv = Server(site, threads=2)
anon = Client(srv)
marie = Client(srv)
t.check(marie.login("marie").status == 200, "marie logs in")
root = Client(srv)
t.check(root.login("root").status == 200, "root logs in")


def reloads():
    with open(srv.log) as f:
        return f.read().count("workers reopened the site")


def reload():
    n = reloads()
    os.kill(srv.proc.pid, signal.SIGHUP)
    wait_until(lambda: reloads() > n)


def health():
    r = anon.api("GET", "/health")
    return r.json()


def openings():
    if not os.path.exists(records):
        return 0
    with open(records) as f:
        return sum(1 for line in f if " case.opened " in line)


def opened(patient):
    r = marie.api("POST", "/cases", {"patient_id": patient, "workflow": "frailty",
                                     "team": "Namur", "manager": "marie"})
    t.check(r.status == 201, f"a case is opened for patient {patient}", r.text)
    wait_until(lambda: openings() >= patient)


h = health()
t.check(h["status"] == "ok" and h["reload"] == {"status": "ok", "refused": []},
        "a fresh server: the reload check is ok", h)
opened(1)
t.check(openings() == 1,
        "the hook records the first case's opening")

# A typo in the hook file, then `hooks reload` (which sends SIGHUP).
with open(hook_path, "w") as f:
    f.write(good_hook.replace("def record(ev):", "def record(ev)"))
n = reloads()
p = site.fr("hooks", "reload", check=False)
t.check(p.returncode == 1 and "record.py:6: SyntaxError" in p.stderr and
        "the running server keeps the last good version" in p.stderr,
        "hooks reload reports the problem and says the server keeps the last good version",
        (p.returncode, p.stderr))
wait_until(lambda: reloads() > n)
opened(2)
t.check(openings() == 2,
        "the last good version still receives the events after the broken reload")
h = health()
refused = h["reload"].get("refused", [])
t.check(h["status"] == "degraded" and h["reload"]["status"] == "refused",
        "the health check is degraded: a reload was refused", h)
t.check(refused == ["hooks/record.py:6"],
        "it names the file and the line of the problem, within the site's folder", refused)
t.check(site.dir not in str(h) and "SyntaxError" not in str(h),
        "the public answer shows neither the server's paths nor the error's text", h)
t.check("last good version" in h["reload"].get("message", ""), "and says what runs", h)
with open(srv.log) as f:
    log = f.read()
t.check("the new version is REFUSED and the last good one stays in use" in log and
        "record.py:6" in log, "the log says it loudly, with file:line")
page = root.request("GET", "/admin").text
t.check("Un rechargement a été refusé" in page and "hooks/record.py:6: SyntaxError" in page,
        "/admin shows it (in root's French), the site's folder left out", page[:2000])
t.check(site.dir + "/" not in page, "the page does not show the server's paths")
t.check(f"le journal ({srv.log}) en dit plus" in page and "(filrouge.log)" not in page,
        "it names the log where FILROUGE_LOG puts it, not the site's filrouge.log", page[:2000])
t.check("the log ($FILROUGE_LOG) say" in h["reload"].get("message", ""),
        "the public answer names the variable, not the server's path", h)

# Fixed: the new version runs, all is ok.
with open(hook_path, "w") as f:
    f.write("# fixed\n" + good_hook)
reload()
h = health()
t.check(h["status"] == "ok" and h["reload"]["refused"] == [], "fixed and reloaded: ok again", h)
page = root.request("GET", "/admin").text
t.check("Un rechargement a été refusé" not in page,
        "and /admin no longer warns")

# A plugin's workflow changed without a new version: the reload is refused.
with open(os.path.join(mini, "mini.xml"), "w") as f:
    f.write(workflow.replace('<state id="done" final="true"/>',
                             '<state id="done" final="true"/>\n  <state id="other"/>'))
reload()
ids = [w["id"] for w in root.api("GET", "/workflows").json()]
t.check("mini" in ids and "frailty" in ids, "the plugin's workflow is still served", ids)
h = health()
refused = h["reload"].get("refused", [])
t.check(h["status"] == "degraded" and refused == ["plugin mini"],
        "health names the plugin (what is wrong with it is for /admin and the log)", refused)
with open(srv.log) as f:
    log = f.read()
t.check("reload: REFUSED, the server keeps the site as it was" in log and "plugin mini:" in log,
        "the log says the reload was refused and why")
page = root.request("GET", "/admin").text
t.check("Un rechargement a été refusé" in page and "plugin mini: plugins/mini/mini.xml: " in page,
        "/admin shows it", page[:2000])
opened(3)
t.check(openings() == 3,
        "the server goes on as it was: hooks included")

# Put back: the next reload is taken.
with open(os.path.join(mini, "mini.xml"), "w") as f:
    f.write(workflow)
reload()
h = health()
t.check(h["status"] == "ok" and h["reload"]["refused"] == [], "the workflow put back: ok", h)

# A file that never worked in this server has no version to keep: off.
with open(os.path.join(site.dir, "hooks", "never.py"), "w") as f:
    f.write("import filrouge\n\ndef f(:\n    pass\n")
reload()
h = health()
t.check(h["status"] == "ok", "a new broken file is not a refusal (nothing to keep)", h)
with open(srv.log) as f:
    log = f.read()
t.check("never.py is not loaded" in log, "it is logged as not loaded")

t.check(srv.stop() == 0, "the server stops cleanly")
t.finish()
