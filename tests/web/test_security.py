"""Security of the web application against a running server: CSRF missing
or wrong, session fixation, login CSRF and throttling, path traversal on
static files, oversized bodies, malformed JSON, SQL metacharacters in
search, escaping of user text, security headers, no internals in errors,
the public intake form (honeypot, rate limit) and the calendar feed."""
import re
import socket

from webtest import Checks, Client, Server, Site

t = Checks()
site = Site()
site.user("admin", role="admin")
site.user("marie", team="Namur")
srv = Server(site)

marie = Client(srv)
marie.login("marie")

# ---- CSRF ----
r = marie.api("POST", "/patients", {"family_name": "A", "given_names": "B"}, csrf=False)
t.check(r.status == 403 and r.json()["error"]["code"] == "csrf",
        "API write without a CSRF token is refused", r.text)
r = marie.api("POST", "/patients", {"family_name": "A", "given_names": "B"},
              headers={"X-CSRF-Token": "0" * 64}, csrf=False)
t.check(r.status == 403, "API write with a wrong CSRF token is refused", r.text)
r = marie.form("/patients", {"family_name": "A", "given_names": "B"}, csrf=False)
t.check(r.status == 403, "form post without _csrf is refused", r.status)
r = marie.form("/patients", {"family_name": "A", "given_names": "B", "_csrf": "f" * 64})
t.check(r.status == 403, "form post with a wrong _csrf is refused", r.status)
r = marie.form("/patients", {"family_name": "Dupont", "given_names": "Léa"})
t.check(r.status == 303 and "/patients/" in (r.header("Location") or ""),
        "form post with the right _csrf works", r.status)

# ---- session fixation ----
planted = "a" * 64
victim = Client(srv)
victim.cookies["fr_session"] = planted
page = victim.request("GET", "/login")
victim.form("/login", {"login": "marie", "password": "correct-horse",
                       "_login": victim.cookies.get("fr_login", "")}, csrf=False)
t.check(victim.cookies.get("fr_session") not in (None, planted),
        "login issues a new session id, never the one presented", victim.cookies)
attacker = Client(srv)
attacker.cookies["fr_session"] = planted
t.check(attacker.api("GET", "/me").status == 401, "the planted id gives no session")
t.check(victim.request("GET", "/caseload").status == 200, "the fresh session works")

# ---- no open redirect after login ----
for nxt, want in [("/cases/1", "/cases/1"), ("//evil.example/x", "/caseload"),
                  ("/\t/evil.example", "/caseload"), ("/\\evil.example", "/caseload"),
                  ("https://evil.example", "/caseload")]:
    c = Client(srv)
    c.request("GET", "/login")
    r = c.form("/login", {"login": "marie", "password": "correct-horse", "next": nxt,
                          "_login": c.cookies.get("fr_login", "")}, csrf=False)
    t.check(r.status == 303 and r.header("Location") == want,
            f"after login, next={nxt!r} goes to {want}", r.header("Location"))

# ---- login CSRF and throttling ----
c = Client(srv)
r = c.form("/login", {"login": "marie", "password": "correct-horse"}, csrf=False)
t.check(r.status == 403, "a login form posted without its login token is refused", r.status)
site.user("tom")
bad = Client(srv)
codes = [bad.login("tom", "nope-nope").status for _ in range(6)]
t.check(codes[-1] == 429, "repeated failed logins are throttled (429)", codes)
t.check(bad.login("tom").status == 429, "even the right password waits while throttled")
t.check(int(site.sql("SELECT count(*) FROM audit WHERE action = 'login-failed' AND "
                     "object_id = 'tom'")[0][0]) >= 5, "a user's failed logins are audited by login")
# A password typed in the login field must not stay in the audit trail,
# which is never cleaned: an unknown login is recorded as "(unknown)".
r = Client(srv).login("Soleil-2026!", "nope-nope")
t.check(r.status == 401, "an unknown login is refused", r.status)
rows = site.sql("SELECT object_id FROM audit WHERE action = 'login-failed' ORDER BY id DESC LIMIT 1")
t.check(rows and rows[0][0] == "(unknown)", "its failure is audited as (unknown)", rows)
t.check(int(site.sql("SELECT count(*) FROM audit WHERE object_id LIKE '%Soleil%' OR "
                     "detail LIKE '%Soleil%'")[0][0]) == 0, "and the text typed is not in the trail")

# ---- static files and traversal ----
anon = Client(srv)
r = anon.request("GET", "/static/app.css")
t.check(r.status == 200 and "text/css" in r.header("Content-Type"), "static CSS is served")
for path in ["/static/../site.xml", "/static/..%2fsite.xml", "/static/%2e%2e/filrouge.db",
             "/static/../../etc/passwd", "/static//etc/passwd", "/static/app.css/../../site.xml"]:
    r = anon.request("GET", path)
    t.check(r.status == 404 and b"<site" not in r.body and b"SQLite" not in r.body,
            f"no traversal: {path}", r.status)
# A raw request line that no client would normalise.
s = socket.create_connection(("127.0.0.1", srv.port))
s.sendall(b"GET /static/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
raw = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    raw += chunk
s.close()
t.check(b"root:" not in raw and b" 404 " in raw.split(b"\r\n")[0] + b" ",
        "a raw ../ request line gets 404", raw[:80])

# ---- sizes and malformed input ----
r = marie.api("POST", "/patients", None)
r = marie.request("POST", "/api/v1/patients", raw=b"{" + b"x" * (2 * 1024 * 1024),
                  headers={"Content-Type": "application/json", "X-CSRF-Token": marie.csrf})
t.check(r.status == 413 and r.json()["error"]["code"] == "too-large",
        "a 2 MiB body is refused with 413", r.status)
r = marie.request("POST", "/api/v1/patients", raw=b'{"family_name": "x", ',
                  headers={"Content-Type": "application/json", "X-CSRF-Token": marie.csrf})
t.check(r.status == 400 and r.json()["error"]["code"] == "invalid",
        "malformed JSON is a 400", r.text)
r = marie.request("POST", "/api/v1/patients", raw=b'[1, 2]',
                  headers={"Content-Type": "application/json", "X-CSRF-Token": marie.csrf})
t.check(r.status == 400, "a JSON array where an object is expected is a 400", r.text)
r = marie.request("POST", "/api/v1/patients", raw=b'{"family_name": 12, "given_names": null}',
                  headers={"Content-Type": "application/json", "X-CSRF-Token": marie.csrf})
t.check(r.status == 400, "wrong JSON types are a 400", r.text)

# ---- SQL metacharacters ----
for q in ["' OR '1'='1", "%", "_", "\"; DROP TABLE patients; --", "Lambert' --", "\\", "*"]:
    r = marie.api("GET", "/patients?q=" + __import__("urllib.parse").parse.quote(q))
    t.check(r.status == 200 and isinstance(r.json(), list) and
            all(p["family_name"] != "Lambert" for p in r.json()),
            f"search with {q!r} is data, not SQL", r.text[:200])
t.check(marie.api("GET", "/patients").status == 200, "the patients table is still there")

# ---- escaping ----
r = marie.api("POST", "/patients", {"family_name": "<script>alert(1)</script>",
                                     "given_names": "\"><img src=x onerror=alert(2)>",
                                     "city": "Namur & <b>co</b>"})
pid = r.json()["id"]
marie.api("POST", "/cases", {"patient_id": pid, "workflow": "frailty", "manager": "marie",
                             "opened_on": "01/11/2026"})
for path in [f"/patients/{pid}", "/patients", "/caseload", "/patients?q=%3Cscript%3E"]:
    page = marie.request("GET", path).text
    t.check("<script>alert(1)" not in page and "<img src=x" not in page and
            ("&lt;script&gt;alert(1)&lt;/script&gt;" in page or "q=%3C" in path),
            f"user text is escaped on {path}", re.findall(r".{40}alert.{40}", page)[:3])

# ---- a person's name or number is not put in a URL ----
page = marie.request("GET", "/patients").text
t.check('<form method="post" action="/patients/search"' in page,
        "the patient search is sent with POST: the name typed stays out of the URL (history, "
        "a proxy's log)", page[:3000])
before = int(site.sql("SELECT count(*) FROM audit WHERE action = 'search' AND actor = 'marie'")[0][0])
r = marie.form("/patients/search", {"q": "<script>"})
t.check(r.status == 200 and "&lt;script&gt;" in r.text and "<script>alert(1)" not in r.text,
        "its answer lists the people found, escaped", r.text[-2000:])
t.check(int(site.sql("SELECT count(*) FROM audit WHERE action = 'search' AND actor = 'marie'")[0][0])
        == before + 1, "and the search is audited")
r = marie.form("/patients/search", {"q": "x"}, csrf=False)
t.check(r.status == 403, "it needs the CSRF token like any form", r.status)

# ---- headers and errors ----
r = marie.request("GET", "/caseload")
csp = r.header("Content-Security-Policy") or ""
t.check("script-src 'self'" in csp and "frame-ancestors 'none'" in csp,
        "a Content-Security-Policy without inline scripts", csp)
t.check(r.header("X-Frame-Options") == "DENY" and r.header("Referrer-Policy") == "no-referrer"
        and r.header("X-Content-Type-Options") == "nosniff", "security headers are set")
# Request headers: 12 kB of them are served (the connection's memory is
# 32 kB, http.c); a larger block is refused with 431, the server stays up.
big = {"X-Long": "x" * 6000, "User-Agent": "y" * 6000}
r = marie.api("GET", "/caseload", headers=big)
t.check(r.status == 200 and "cases" in r.json(), "12 kB of request headers are served", r.status)
r = marie.api("POST", "/patients", {"family_name": "Entetes", "given_names": "Longues",
                                    "address": "z" * 200000}, headers=big)
t.check(r.status == 400 and "address" in r.json()["error"]["message"],
        "a 200 kB body after 12 kB of headers is read whole (its field is judged)", r.text)
r = marie.api("GET", "/caseload", headers={"X-Long": "x" * 40000})
t.check(r.status == 431 and "x" * 100 not in r.text,
        "40 kB of request headers are refused (431)", (r.status, r.text[:200]))
t.check(marie.api("GET", "/me").status == 200, "the server goes on after refusing them")
r = marie.request("GET", "/cases/999999")
t.check(r.status == 404 and "sqlite" not in r.text.lower() and site.dir not in r.text,
        "a missing case is a 404 page without internals", r.text[:200])
r = marie.request("GET", "/cases/abc")
t.check(r.status == 404 and "SELECT" not in r.text, "a bad id is a 404", r.status)

# ---- the public intake form ----
anon = Client(srv)
t.check(anon.request("GET", "/refer").status == 200, "the intake form needs no login")
r = anon.form("/refer", {"referrer_name": "Bot", "referrer_contact": "x", "person_name": "Y",
                         "situation": "spam", "website": "http://spam.example"}, csrf=False)
t.check(r.status == 200, "the honeypot answers like a success", r.status)
r = anon.form("/refer", {"referrer_name": "Sophie", "referrer_contact": "0470 00 00 00",
                         "referrer_relation": "fille", "person_name": "Jeanne Lambert",
                         "situation": "Chutes à répétition, vit seule."}, csrf=False)
t.check(r.status == 201, "an intake is received (201)", r.status)
tri = marie.request("GET", "/triage").text
t.check("Jeanne Lambert" in tri and "spam" not in tri,
        "the intake is in the triage queue; the bot's is not", tri[-600:])
codes = [anon.form("/refer", {"referrer_name": "S", "referrer_contact": "c",
                              "person_name": "P", "situation": "s"}, csrf=False).status
         for _ in range(6)]
t.check(429 in codes, "intakes are rate limited per address", codes)

# ---- calendar feed ----
r = marie.form("/schedule/calendar", {})
m = re.search(r"/calendar/([0-9a-f]{64})\.ics", r.text)
t.check(r.status == 200 and m, "a secret calendar URL is issued", r.text[-300:])
if m:
    marie.api("POST", "/tasks", {"case_id": 1, "title": "Appeler le médecin, urgent; vite",
                                  "due_on": "01/12/2026"})
    cal = anon.request("GET", f"/calendar/{m.group(1)}.ics")
    t.check(cal.status == 200 and "BEGIN:VCALENDAR" in cal.text and
            "DTSTART;VALUE=DATE:20261201" in cal.text and "Appeler le médecin\\, urgent\\; vite"
            in cal.text, "the feed lists the user's tasks (RFC 5545 escaping)", cal.text)
    t.check("Lambert" not in cal.text and "script" not in cal.text,
            "the feed carries no patient names")
t.check(anon.request("GET", "/calendar/" + "0" * 64 + ".ics").status == 404,
        "a wrong calendar token is a 404")

# ---- lists show only what the user reaches, administrators included ----
adm = Client(srv)
adm.login("admin")
t.check(adm.api("GET", "/cases/1").status == 403, "an administrator outside the care team is refused")
marie.api("POST", "/tasks", {"case_id": 1, "title": "Bilan gériatrique de Mme X",
                              "due_on": "02/12/2026"})
r = adm.api("GET", "/tasks")
t.check(r.status == 200 and not any(x["case_id"] == 1 for x in r.json()),
        "the task list of an administrator holds no task of a case they do not reach", r.text)
page = adm.request("GET", "/schedule").text
t.check("Bilan gériatrique" not in page, "nor does their échéancier", page[-800:])

# ---- every read of clinical data is audited, lists of a case's too ----
marie.api("POST", "/cases/1/referrals", {"specialty": "cardiologie", "to": "Dr Leroy",
                                          "reason": "souffle à l'auscultation"})
marie.api("POST", "/cases/1/meetings", {"kind": "concertation", "held_on": "01/12/2026",
                                         "minutes": "chutes, isolement"})
for path, kind in [("/cases/1/referrals", "referrals"), ("/cases/1/meetings", "meetings"),
                   ("/referrals", "referrals")]:
    r = marie.api("GET", path)
    t.check(r.status == 200 and len(r.json()) == 1, f"GET {path} answers", r.text)
    audit = adm.api("GET", f"/audit?type={kind}&limit=20").json()
    t.check(any(a["actor"] == "marie" and a["action"] == "read" and
                a["object_id"] == ("*" if path == "/referrals" else "1") for a in audit),
            f"GET {path} is audited", audit)
# the intake a person came from: the entry names the patient read
iid = [x["id"] for x in marie.api("GET", "/intakes").json()
       if x["person_name"] == "Jeanne Lambert"][0]
marie.api("POST", f"/intakes/{iid}/accept", {})
ppid = marie.api("GET", "/cases/1").json()["patient_id"]
r = marie.api("POST", f"/intakes/{iid}/link", {"patient_id": ppid, "case_id": 1})
t.check(r.status == 200, "the intake is linked to the patient and the case", r.text)
r = marie.api("GET", f"/patients/{ppid}/intakes")
t.check(r.status == 200 and len(r.json()) == 1, "the patient's intakes are read", r.text)
audit = adm.api("GET", "/audit?type=intakes&limit=20").json()
t.check(any(a["actor"] == "marie" and a["action"] == "read" and a["object_id"] == str(ppid)
            and '"patient"' in a["detail"] for a in audit),
        "reading a patient's intakes is audited under the patient's id", audit)

# ---- refusals by role are audited too ----
site.user("dr-p", role="provider")
prov = Client(srv)
prov.login("dr-p")
r = prov.api("GET", "/intervisions")
t.check(r.status == 403, "a provider does not read the peer case reviews", r.text)
audit = adm.api("GET", "/audit?limit=20").json()
t.check(any(a["actor"] == "dr-p" and a["action"] == "denied" for a in audit),
        "the refusal is audited", audit)
r = marie.api("GET", "/audit")
t.check(r.status == 403, "a case manager does not read the audit trail", r.text)
audit = adm.api("GET", "/audit?limit=5").json()
t.check(any(a["actor"] == "marie" and a["action"] == "denied" and a["object_type"] == "audit"
            for a in audit), "that refusal is audited", audit)

t.check(srv.stop() == 0, "the server stops cleanly")
t.finish()
