"""Personal API tokens against a running server: made from a session (API
and page), shown once, stored only as a hash, used with Authorization:
Bearer (no CSRF token needed), scoped to the user's own access rights,
refused when wrong or revoked, never valid on HTML pages, audited."""

from webtest import Checks, Client, Server, Site

t = Checks()
site = Site()
site.user("admin", role="admin")
site.user("marie", team="Namur")
site.user("dr-j", role="provider")
srv = Server(site)


def bearer(token, method, path, body=None):
    c = Client(srv)  # no cookie, no CSRF token
    return c.api(method, path, body, csrf=False,
                 headers={"Authorization": f"Bearer {token}"})


marie = Client(srv)
marie.login("marie")
pid = marie.api("POST", "/patients", {"family_name": "Lambert", "given_names": "Jeanne"}).json()["id"]
cid = marie.api("POST", "/cases", {"patient_id": pid, "workflow": "frailty",
                                   "team": "Namur"}).json()["id"]

# ---- made from a session, shown once ----
r = marie.api("POST", "/tokens", {"name": "export script"})
t.check(r.status == 201 and r.json()["token"].startswith("frt_") and len(r.json()["token"]) == 68,
        "a token is made from a session and shown (201)", r.text)
token, tid = r.json()["token"], r.json()["id"]
r = marie.api("POST", "/tokens", {"name": "x"}, csrf=False)
t.check(r.status == 403 and r.json()["error"]["code"] == "csrf",
        "making a token from a session needs the CSRF token", r.text)
r = marie.api("POST", "/tokens", {"name": ""})
t.check(r.status == 400 and "name" in r.json()["error"]["message"],
        "a token without a name is refused with what to do", r.text)
r = marie.api("GET", "/tokens")
items = r.json()["items"]
t.check(r.status == 200 and items[0]["name"] == "export script" and token not in r.text
        and "token_hash" not in r.text, "the list shows tokens without their secret", r.text)
rows = site.sql("SELECT token_hash FROM api_tokens")
t.check(rows and all(token not in h and len(h) == 64 for (h,) in rows),
        "only the token's hash is stored", rows)

# ---- used as Bearer ----
r = bearer(token, "GET", "/me")
t.check(r.status == 200 and r.json()["login"] == "marie", "a valid token acts as its user",
        r.text)
r = bearer(token, "POST", "/patients", {"family_name": "Martin", "given_names": "Paul"})
t.check(r.status == 201, "a write with a token needs no CSRF token", r.text)
r = bearer(token, "GET", f"/cases/{cid}")
t.check(r.status == 200, "the token reads the user's own cases", r.text)
r = bearer(token, "POST", "/tokens", {"name": "another"})
t.check(r.status == 403 and r.json()["error"]["code"] == "session-required",
        "a token cannot make more tokens", r.text)
r = bearer(token, "DELETE", f"/tokens/{tid}")
t.check(r.status == 403, "a token cannot revoke tokens", r.text)
c = Client(srv)
r = c.request("GET", "/caseload", headers={"Authorization": f"Bearer {token}"})
t.check(r.status == 303 and "/login" in (r.header("Location") or ""),
        "a token does not open HTML pages", r.status)

# ---- wrong tokens ----
for bad in ["frt_" + "0" * 64, token[:-1] + ("0" if token[-1] != "0" else "1"), "frt_short",
            token + "x", "' OR 1=1 --"]:
    r = bearer(bad, "GET", "/me")
    t.check(r.status == 401 and r.json()["error"]["code"] == "unauthenticated"
            and "API token" in r.json()["error"]["message"],
            f"a wrong token is refused (401, saying what to send): {bad[:12]}…", r.text)
c = Client(srv)
r = c.api("GET", "/me", headers={"Authorization": "Basic bWFyaWU6eA=="})
t.check(r.status == 401, "another authorization scheme is not a login", r.text)

# ---- scoped to the user's care relationships ----
dr = Client(srv)
dr.login("dr-j")
dtok = dr.api("POST", "/tokens", {"name": "dr"}).json()["token"]
r = bearer(dtok, "GET", f"/cases/{cid}")
t.check(r.status == 403 and r.json()["error"]["code"] == "access-denied",
        "a token cannot see a case outside its user's care relationships", r.text)
r = bearer(dtok, "GET", "/cases")
t.check(r.status == 200 and r.json() == [], "a token's lists hide other cases", r.text)
r = bearer(dtok, "GET", "/patients?q=Lambert")
t.check(r.status == 200 and r.json() == [], "a token's search hides other patients", r.text)
r = bearer(dtok, "GET", "/audit/verify")
t.check(r.status == 403, "a token has no more rights than its user (no admin)", r.text)

# ---- revoked ----
r = marie.api("DELETE", f"/tokens/{tid}")
t.check(r.status == 200, "the user revokes the token", r.text)
r = bearer(token, "GET", "/me")
t.check(r.status == 401, "a revoked token is refused", r.text)
r = marie.api("DELETE", f"/tokens/{tid}")
t.check(r.status == 404, "revoking twice says there is no such live token", r.text)
r = dr.api("GET", "/tokens")
dtid = r.json()["items"][0]["id"]
r = marie.api("DELETE", f"/tokens/{dtid}")
t.check(r.status == 404, "nobody revokes another user's token", r.text)
t.check(bearer(dtok, "GET", "/me").status == 200, "…which still works")

# ---- audited ----
adm = Client(srv)
adm.login("admin")
r = adm.api("GET", "/audit?limit=500")
acts = [(a["actor"], a["action"], a["object_type"]) for a in r.json()]
t.check(("marie", "create", "api-token") in acts and ("marie", "use", "api-token") in acts
        and ("marie", "revoke", "api-token") in acts,
        "making, using and revoking a token are audited", acts[:20])
t.check(("dr-j", "denied", "case") in acts or any(a[0] == "dr-j" and a[1] == "denied"
                                                  for a in acts),
        "a token's refusal is audited under its user", acts[:20])
t.check(token not in r.text, "the audit trail never holds the token", "")

# ---- the page ----
page = marie.request("GET", "/settings/tokens")
t.check(page.status == 200 and "export script" in page.text, "the tokens page lists them",
        page.status)
r = marie.form("/settings/tokens", {"name": "<b>calendrier</b>"})
import re
m = re.search(r"frt_[0-9a-f]{64}", r.text)
t.check(r.status == 200 and m and "&lt;b&gt;calendrier" in r.text,
        "the page makes a token and shows it once (name escaped)", r.status)
t.check(m and bearer(m.group(0), "GET", "/me").status == 200, "the page's token works")
again = marie.request("GET", "/settings/tokens")
t.check(not re.search(r"frt_[0-9a-f]{64}", again.text), "the token is never shown again")
r = marie.form("/settings/tokens", {"name": ""})
t.check(r.status == 422 and "fr-error" in r.text, "a token without a name: the error by its field",
        r.status)
r = marie.form("/settings/tokens", {"name": "x"}, csrf=False)
t.check(r.status == 403, "the page's form needs the CSRF token", r.status)

# ---- an administrator sees and revokes every user's tokens ----
r = marie.api("GET", "/tokens?all=1")
t.check(r.status == 403, "only administrators list every user's tokens", r.text)
r = adm.api("GET", "/tokens?all=yes")
t.check(r.status == 400 and "all: write all=1" in r.text, "all= takes 0 or 1", r.text)
r = adm.api("GET", "/tokens?al=1")
t.check(r.status == 400 and '(did you mean "all"?)' in r.json()["error"]["message"],
        "a misspelt all= is refused, not taken for the user's own list", r.text)
r = adm.api("GET", "/tokens?all=1")
items = r.json().get("items", []) if r.status == 200 else []
t.check(any(i["owner"] == "dr-j" and i["id"] == dtid for i in items)
        and any(i["owner"] == "marie" for i in items) and all("token" not in i for i in items),
        "the administrator lists every user's tokens with their owner (never the secret)", r.text)
page = adm.request("GET", "/admin/tokens")
t.check(page.status == 200 and "dr-j" in page.text and f"/admin/tokens/{dtid}/revoke" in page.text,
        "the administration page lists them with a revoke button", page.status)
t.check(marie.request("GET", "/admin/tokens").status == 403, "…which others may not open")
r = adm.form(f"/admin/tokens/{dtid}/revoke", {})
t.check(r.status == 303 and bearer(dtok, "GET", "/me").status == 401,
        "the administrator revokes another user's token; it no longer works", r.status)
acts = [(a["actor"], a["action"], a["object_id"], a["detail"])
        for a in adm.api("GET", f"/audit?type=api-token&id={dtid}").json()]
t.check(any(a[0] == "admin" and a[1] == "revoke" and "dr-j" in a[3] for a in acts),
        "the revocation is audited with the token's owner", acts)

t.check(srv.stop() == 0, "the server stops cleanly")
t.finish()
