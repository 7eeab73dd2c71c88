"""Session lifetime across server restarts, on a fixed clock (FILROUGE_NOW):
a session survives a restart, expires after the idle time set in site.xml
(web.session-idle-minutes), and an expired one is removed; the pages then
say on the login page that the session expired (and, for a form sent,
that it was not saved) and lead back."""

from webtest import Checks, Client, Server, Site, wait_until

t = Checks()
site = Site()
site.user("marie")
site.setting("web.session-idle-minutes", 1)


def at(now):
    site.env["FILROUGE_NOW"] = now
    return Server(site)


srv = at("2026-11-23T10:00:00Z")
c = Client(srv)
t.check(c.login("marie").status == 200, "login at 10:00:00")
srv.stop()

srv = at("2026-11-23T10:00:50Z")
c.server = srv
t.check(c.api("GET", "/me").status == 200, "the session is still valid at 10:00:50 (after a restart)")
srv.stop()

# A second session, never used again: removed by the server's daily
# cleanup (it runs at start), not only when presented.
other = Client(srv)
srv.stop()
srv = at("2026-11-23T10:00:55Z")
other.server = srv
other.login("marie")
srv.stop()

srv = at("2026-11-23T10:02:30Z")
c.server = srv
r = c.api("GET", "/me")
t.check(r.status == 401, "idle for more than a minute: the session has expired", r.text)
r = c.request("GET", "/caseload")
t.check(r.status == 303 and r.header("Location") == "/login?next=/caseload&expired=1",
        "an expired session sends the pages to the login, saying it expired",
        r.header("Location"))
page = c.request("GET", r.header("Location")).text
t.check("Votre session a expiré après 1 min sans activité" in page
        and 'name="next" value="/caseload"' in page,
        "the login page says the session expired and after how long, then goes back", page[-900:])
r = c.form("/cases/7/fire", {"event": "screen", "note": "long note", "_csrf": "0" * 64})
t.check(r.status == 303 and r.header("Location") == "/login?next=/cases/7&expired=post",
        "a form sent after the session expired: to the login, then back to its case",
        r.header("Location"))
page = c.request("GET", r.header("Location")).text
t.check("n&#39;a pas été enregistré" in page, "the login page says what was sent was not saved",
        page[-900:])
r = c.request("GET", "/cases/7/forms/efs?draft=3&lang=fr")
loc = r.header("Location") or ""
t.check(loc.startswith("/login?next=/cases/7/forms/efs%3Fdraft%3D3%26lang%3Dfr"),
        "a page with a query: the login comes back to it whole, encoded (a draft's number)", loc)
page = c.request("GET", loc).text
t.check('name="next" value="/cases/7/forms/efs?draft=3&amp;lang=fr"' in page,
        "the login form carries the whole page to go back to", page[-900:])
fresh = Client(srv)
r = fresh.request("GET", "/caseload")
t.check(r.header("Location") == "/login?next=/caseload",
        "without a session cookie, nothing is said about an expiry", r.header("Location"))
srv.stop()
n = int(site.sql("SELECT count(*) FROM web_sessions")[0][0])
t.check(n == 0, "expired sessions are removed from the database", n)

# SIGHUP: every worker reopens its site; the server keeps answering.
srv = at("2026-11-23T10:03:00Z")
c = Client(srv)
c.login("marie")
import signal
srv.proc.send_signal(signal.SIGHUP)
statuses = []


def reloaded():
    """One request, then: has the reload (the background thread's) been
    logged? Requests go on until it has, however long it takes."""
    statuses.append(c.api("GET", "/me").status)
    return "workers reopened the site" in open(site.env["FILROUGE_LOG"]).read()


wait_until(reloaded, pause=0.05)
log = open(site.env["FILROUGE_LOG"]).read()
t.check(all(s == 200 for s in statuses) and "reload: 3 of 3 workers reopened the site" in log,
        "SIGHUP reopens every worker's site while requests go on", (statuses, log[-300:]))

# The request acts as the user the session's row reads now: a role
# changed or an account deactivated by another process (an administrator
# by hand) holds from the next request on, whatever was cached.
r = c.api("POST", "/patients", {"family_name": "Lambert", "given_names": "Jeanne",
                                 "birth_date": "12/03/1941"})
t.check(r.status == 201, "marie, a case manager, registers a patient", r.text)
site.sql("UPDATE users SET role = 'read_only' WHERE login = 'marie'")
r = c.api("GET", "/me")
t.check(r.status == 200 and r.json()["role"] == "read_only", "her new role is read at once", r.text)
r = c.api("POST", "/patients", {"family_name": "Martin", "given_names": "Lucas",
                                 "birth_date": "15/05/1990"})
t.check(r.status == 403, "read-only now: the kernel refuses the same write", r.text)
site.sql("UPDATE users SET active = 0 WHERE login = 'marie'")
r = c.api("GET", "/me")
t.check(r.status == 401, "deactivated: her session no longer opens anything", r.status)
t.check(srv.stop() == 0, "the server stops cleanly after a reload")
t.finish()
