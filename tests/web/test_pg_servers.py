"""Two `filrouge serve` processes on one PostgreSQL database, with
concurrent HTTP clients on both (docs/postgresql.md, "Several processes on
one database"). Runs under tests/pg/with-postgres.sh (started here when
FILROUGE_TEST_STORE is not set; skipped, exit 77, without PostgreSQL).

Checks that nothing is lost or duplicated:
- every acknowledged write (patients, cases, submissions, tasks, events
  fired with a note) is in the database exactly once, and nothing else;
- the same case changed through both servers at once: of two clients
  firing the same event, exactly one succeeds, the other is told 409 (no
  lost update: the writers' lock), and the transitions and the audit say
  the same;
- asynchronous events are delivered once per subscriber across processes:
  a Python hook on every topic records each delivery (event id, process)
  in a file; every event is recorded exactly once;
- the tick, run by both servers at start and by `filrouge tick` commands
  at the same time, emits each task.overdue once;
- a server is woken by the other's notification (LISTEN/NOTIFY) to deliver
  events it did not record itself (its log says so);
- a session opened through one server works on the other; a case opened
  and a logout through one are seen at once by the other's caches; the audit chain
  verifies."""
import os
import subprocess
import threading

import webtest

from webtest import Checks, Client, Server, Site, psql

webtest.run_under_postgres()

t = Checks()


records_path = os.path.join(webtest.BASE, f"deliveries-{os.getpid()}.txt")
site = Site(plugins=("forms",), hooks={"record.py": webtest.recording_hook(records_path)})
DB = site.database
site.user("marie", team="Namur")
site.user("thomas", team="Namur")
site.user("admin", role="admin")


def one(query):
    rows = psql(DB, query)
    return rows[0][0] if rows else None


# Overdue tasks recorded before the servers start: both ticks (and the
# commands below) find them; each must be announced once.
for i in range(3):
    site.fr("patient", "add", "--family", f"Tick{i}", "--given", "Anna")
    site.fr("case", "open", str(i + 1), "--workflow", "assess", "--manager", "marie",
            "--on", "01/01/2020")
    site.fr("task", "add", str(i + 1), f"Appeler {i}", "--due", "01/02/2020",
            "--assignee", "marie")

a = Server(site, log=os.path.join(site.tmp, "a.log"))
b = Server(site, log=os.path.join(site.tmp, "b.log"))
servers = [a, b]

marie_a = Client(a)
t.check(marie_a.login("marie").status == 200, "marie logs in through server A")
marie_b = Client(b)
marie_b.cookies, marie_b.csrf = dict(marie_a.cookies), marie_a.csrf
r = marie_b.api("GET", "/me")
t.check(r.status == 200 and r.json()["login"] == "marie",
        "the session opened through A works on B (sessions are in the database)", r.text)

GOOD = {"total": 8, "date": "2026-01-10", "assessor": "Marie", "instrument-version": "1",
        "licence": "UA-1"}
acks = {"patient": [], "case": [], "submission": [], "task": [], "fire": []}
errors = []
lock = threading.Lock()


def ack(kind, value):
    with lock:
        acks[kind].append(value)


def client_for(server):
    c = Client(server)
    c.cookies, c.csrf = dict(marie_a.cookies), marie_a.csrf
    return c


WORKERS = 6
ROUNDS = 5


def worker(k):
    """Writes through both servers in turn: a patient, a case, submissions,
    a task, events with notes."""
    try:
        for i in range(ROUNDS):
            c = client_for(servers[(k + i) % 2])
            r = c.api("POST", "/patients", {"family_name": f"Multi{k}-{i}", "given_names": "P",
                                            "birth_date": "01/01/1940"})
            if r.status != 201:
                errors.append(("patient", r.status, r.text[:200]))
                continue
            pid = r.json()["id"]
            ack("patient", pid)
            c = client_for(servers[(k + i + 1) % 2])
            r = c.api("POST", "/cases", {"patient_id": pid, "workflow": "assess",
                                         "manager": "marie"})
            if r.status != 201:
                errors.append(("case", r.status, r.text[:200]))
                continue
            cid = r.json()["id"]
            ack("case", cid)
            for n in range(2):
                c = client_for(servers[(k + n) % 2])
                r = c.api("POST", f"/cases/{cid}/submissions", {"form": "efs", "data": GOOD})
                if r.status == 201:
                    ack("submission", r.json()["id"])
                else:
                    errors.append(("submission", r.status, r.text[:200]))
            r = c.api("POST", "/tasks", {"case_id": cid, "title": f"Visite {k}-{i}",
                                         "due_on": "01/12/2030"})
            if r.status == 201:
                ack("task", r.json()["id"])
            else:
                errors.append(("task", r.status, r.text[:200]))
            note = f"note {k}-{i}"
            r = c.api("POST", f"/cases/{cid}/events", {"event": "include", "note": note})
            if r.status == 200:
                ack("fire", (cid, note))
            else:
                errors.append(("fire", r.status, r.text[:200]))
    except Exception as e:  # a broken connection: reported, not hidden
        errors.append(("exception", repr(e)))


# The same case changed through both servers at once: each round, one
# client per server fires the same event together.
contended = None
races = []


def race(rounds):
    c = client_for(a)
    pid = c.api("POST", "/patients", {"family_name": "Course", "given_names": "C",
                                      "birth_date": "01/01/1940"}).json()["id"]
    global contended
    contended = c.api("POST", "/cases", {"patient_id": pid, "workflow": "assess",
                                         "manager": "marie"}).json()["id"]
    for n in range(rounds):
        event = "close" if n % 2 == 0 else "reopen"
        go = threading.Barrier(2)
        answers = [None, None]

        def fire(j):
            cl = client_for(servers[j])
            go.wait()
            answers[j] = cl.api("POST", f"/cases/{contended}/events",
                                {"event": event, "note": f"course {n} {j}"})

        ths = [threading.Thread(target=fire, args=(j,)) for j in range(2)]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        races.append((event, [x.status for x in answers], [x.text[:200] for x in answers]))


def ticks():
    for _ in range(3):
        subprocess.run([webtest.FR, "tick"], env=site.env, capture_output=True)


RACES = 10
threads = [threading.Thread(target=worker, args=(k,)) for k in range(WORKERS)]
threads.append(threading.Thread(target=race, args=(RACES,)))
threads.append(threading.Thread(target=ticks))
for th in threads:
    th.start()
for th in threads:
    th.join()

t.check(not errors, "every request of the concurrent clients succeeded", errors[:10])
t.check(len(acks["submission"]) == WORKERS * ROUNDS * 2,
        f"{WORKERS * ROUNDS * 2} submissions acknowledged", len(acks["submission"]))


def ids(table, where="TRUE"):
    return [int(x[0]) for x in psql(DB, f"SELECT id FROM {table} WHERE {where}")]


for kind, table, where in (("patient", "patients", "family_name LIKE 'Multi%'"),
                           ("case", "cases", "patient_id IN (SELECT id FROM patients "
                                             "WHERE family_name LIKE 'Multi%')"),
                           ("submission", "submissions", "TRUE"),
                           ("task", "tasks", "title LIKE 'Visite %'")):
    stored = ids(table, where)
    t.check(sorted(stored) == sorted(acks[kind]),
            f"every acknowledged {kind} is stored exactly once, and nothing else",
            f"{len(acks[kind])} acknowledged, {len(stored)} stored; "
            f"missing {sorted(set(acks[kind]) - set(stored))[:10]}, "
            f"extra {sorted(set(stored) - set(acks[kind]))[:10]}")
notes = psql(DB, "SELECT case_id, note FROM transitions WHERE note LIKE 'note %'")
t.check(sorted((int(c), n) for c, n in notes) == sorted(acks["fire"]),
        "every acknowledged event fired with a note is one transition, with its note",
        f"{len(acks['fire'])} acknowledged, {len(notes)} stored")

wins = [s.count(200) for _, s, _ in races]
t.check(len(races) == RACES and all(sorted(s) == [200, 409] for _, s, _ in races),
        "two servers firing the same event on one case at once: one succeeds, the other "
        "is told 409 (no lost update)", races)
moves = psql(DB, f"SELECT event, from_state, to_state FROM transitions WHERE case_id = {contended}"
                 " AND event IN ('close', 'reopen') ORDER BY id")
t.check(len(moves) == sum(wins) and
        all(m == (["close", "screening", "done"] if n % 2 == 0 else ["reopen", "done", "screening"])
            for n, m in enumerate(moves)),
        "the contended case's transitions alternate, one per success", moves)
state = one(f"SELECT state FROM cases WHERE id = {contended}")
t.check(state == ("done" if RACES % 2 else "screening"), "its state is the last success's", state)
audited = one(f"SELECT count(*) FROM audit WHERE action = 'transition' AND object_type = 'case'"
              f" AND object_id = '{contended}'")
t.check(int(audited) == sum(wins), "the audit has one transition entry per success",
        f"{audited} entries, {sum(wins)} successes")

overdue = psql(DB, "SELECT payload FROM outbox WHERE topic = 'task.overdue'")
t.check(len(overdue) == 3,
        "the ticks of both servers and of three commands announced each overdue task once",
        overdue)

# Delivery: both servers (and the commands) deliver; wait until the outbox
# owes nothing to the hook (no time limit: the test's timeout is meson's).
SUB = "python:site.record.record"
since = int(one(f"SELECT since_event FROM bus_subscribers WHERE name = '{SUB}'"))
# Delivered: a row says so, or the watermark passed the event and no row
# says otherwise (core/bus.c, record_page).
owed_sql = (f"SELECT count(*) FROM outbox o WHERE o.id > {since} AND NOT EXISTS (SELECT 1 FROM "
            f"bus_deliveries d WHERE d.event_id = o.id AND d.subscriber = '{SUB}' AND "
            f"d.status = 'done') AND NOT (o.id <= (SELECT settled_through FROM bus_subscribers "
            f"WHERE name = '{SUB}') AND NOT EXISTS (SELECT 1 FROM bus_deliveries d WHERE "
            f"d.event_id = o.id AND d.subscriber = '{SUB}'))")
waited = webtest.wait_until(lambda: one(owed_sql) == "0")
events = {int(x[0]): x[1] for x in psql(DB, f"SELECT id, topic FROM outbox WHERE id > {since}")}
with open(records_path) as f:
    lines = [line.split() for line in f if line.strip()]
seen = {}
for ev_id, topic, pid in lines:
    seen.setdefault(int(ev_id), []).append(pid)
dups = {e: p for e, p in seen.items() if len(p) > 1}
t.check(waited and set(seen) == set(events) and not dups,
        "every event was delivered to the hook exactly once across the processes",
        f"{len(events)} events, {len(seen)} delivered; missing "
        f"{sorted(set(events) - set(seen))[:10]}, twice {list(dups.items())[:10]}")
pids = {p for ps in seen.values() for p in ps}
server_pids = {str(a.proc.pid), str(b.proc.pid)}
# Which process delivers an event is chance (whoever holds the subscriber's
# lock first): told, not checked.
print(f"# delivered by the servers: {sorted(server_pids & pids)}; by commands: "
      f"{len(pids - server_pids)} process(es)")

# LISTEN/NOTIFY: an event recorded by one server wakes the other's delivery.
# B's listener thread logs the first notification it hears, whenever it
# reads it (no time limit: meson's).
webtest.wait_until(lambda: "woken by another process's notification" in open(b.log).read())
t.check(True, "server B's delivery was woken by a notification from another process")

# The caches (caseload, sessions) of one server see the other's writes:
# PostgreSQL's generation changes with any process's commit.
thomas_a = Client(a)
t.check(thomas_a.login("thomas").status == 200, "thomas logs in through A")
thomas_b = client_for(b)
thomas_b.cookies, thomas_b.csrf = dict(thomas_a.cookies), thomas_a.csrf
before = thomas_a.api("GET", "/caseload").json()
again = thomas_a.api("GET", "/caseload").json()
t.check(before == again, "thomas's caseload asked twice through A is the same", again)
pid = thomas_b.api("POST", "/patients", {"family_name": "Cache", "given_names": "C",
                                         "birth_date": "01/01/1940"}).json()["id"]
r = thomas_b.api("POST", "/cases", {"patient_id": pid, "workflow": "assess",
                                    "manager": "thomas"})
t.check(r.status == 201, "a case opened for thomas through B", r.text)
after = thomas_a.api("GET", "/caseload").json()
t.check(len(after["cases"]) == len(before["cases"]) + 1,
        "the caseload through A shows the case opened through B at once (cache invalidated)",
        (len(before["cases"]), after))
t.check(thomas_b.api("DELETE", "/session").status in (200, 204), "thomas logs out through B")
r = thomas_a.api("GET", "/caseload")
t.check(r.status == 401, "the session logged out through B is refused by A at once", r.status)

for s, name in ((a, "A"), (b, "B")):
    adm = Client(s)
    adm.login("admin")
    r = adm.api("GET", "/audit/verify")
    t.check(r.status == 200 and r.json().get("intact") is True,
            f"the audit chain verifies through server {name}", r.text)
r = site.fr("audit", "verify", check=False)
t.check(r.returncode == 0, "and with `filrouge audit verify`", r.stdout + r.stderr)

t.check(a.stop() == 0 and b.stop() == 0, "both servers stop cleanly")
os.unlink(records_path)
t.finish()
