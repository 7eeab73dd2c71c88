"""A user's access stopped and given back (a case manager leaving, a
stolen laptop): an administrator deactivates them through the API or the
administration page. At once they cannot log in, their open session and
their API token are refused, and their cases and tasks stay theirs until
reassigned: the answer counts them, the page leads to the échéancier
filtered on them and leaves them out of the reassignment's targets. An
administrator cannot deactivate themselves; a case manager cannot
deactivate anyone. Reactivated, they log in again. Each change is audited
and published (user.deactivated, user.activated)."""
import re

from webtest import Checks, Client, Server, Site, alert, problem_of

t = Checks()
site = Site()
site.user("admin", role="admin")
site.user("marie", team="Namur")
site.user("paul", team="Namur")
srv = Server(site)


def message(r):
    try:
        return r.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return r.text


admin = Client(srv)
t.check(admin.login("admin").status == 200, "the administrator logs in")
marie = Client(srv)
t.check(marie.login("marie").status == 200, "marie logs in")
pid = marie.api("POST", "/patients", {"family_name": "Lambert", "given_names": "Jeanne"}).json()["id"]
cid = marie.api("POST", "/cases", {"patient_id": pid, "workflow": "frailty",
                                   "team": "Namur"}).json()["id"]
token = marie.api("POST", "/tokens", {"name": "script"}).json()["token"]
users = {u["login"]: u for u in admin.api("GET", "/users").json()}
mid, aid = users["marie"]["id"], users["admin"]["id"]
t.check(users["marie"]["active"] == 1, "marie is active")


def with_token(path):
    c = Client(srv)
    return c.api("GET", path, csrf=False, headers={"Authorization": f"Bearer {token}"})


t.check(with_token("/caseload").status == 200, "her API token works")

# ---- who may ----
r = marie.api("POST", f"/users/{aid}/deactivate")
t.check(r.status == 403 and "only an administrator" in message(r),
        "a case manager cannot deactivate anyone (403)", r.text)
r = admin.api("POST", f"/users/{aid}/deactivate")
t.check(r.status == 400 and "cannot deactivate yourself" in message(r),
        "an administrator cannot deactivate themselves", r.text)
r = admin.api("POST", "/users/999/deactivate")
t.check(r.status == 404 and "no user 999" in message(r), "an unknown user is a 404", r.text)
r = admin.api("POST", f"/users/{mid}/deactivate", {"reason": "left"})
t.check(r.status == 400 and 'unknown field "reason"' in message(r),
        "the call takes no field", r.text)

# ---- deactivated ----
r = admin.api("POST", f"/users/{mid}/deactivate")
t.check(r.status == 200 and r.json() == {"login": "marie", "active": False, "open_cases": 1,
                                          "open_tasks": r.json().get("open_tasks")}
        and r.json()["open_tasks"] >= 1,
        "deactivated; the answer counts her open cases and tasks", r.text)
r = marie.api("GET", "/caseload")
t.check(r.status == 401, "her open session is refused at once (401)", r.text)
t.check(with_token("/caseload").status == 401, "her API token is refused at once (401)")
again = Client(srv)
t.check(again.login("marie").status != 200, "she cannot log in")
t.check(int(site.sql(f"SELECT count(*) FROM web_sessions WHERE user_id = {mid}")[0][0]) == 0,
        "her sessions are deleted")
t.check(int(site.sql(f"SELECT case_manager_id FROM cases WHERE id = {cid}")[0][0]) == mid,
        "her case is still hers, to be reassigned")
paul = Client(srv)
paul.login("paul")
r = paul.api("POST", f"/cases/{cid}/assign", {"manager": "marie"})
t.check(r.status in (400, 404) and "no active user 'marie'" in message(r),
        "nothing can be given to a deactivated user (her team-mate tries)", r.text)
r = admin.api("GET", "/users")
t.check([u["active"] for u in r.json() if u["login"] == "marie"] == [0],
        "the user list says she is inactive", r.text)
r = admin.api("POST", f"/users/{mid}/deactivate")
t.check(r.status == 200, "deactivating twice is not an error", r.text)
rows = site.sql("SELECT action, detail FROM audit WHERE object_type = 'user' AND object_id = "
                f"'{mid}' AND action IN ('deactivate', 'activate')")
t.check(len(rows) == 1 and rows[0][0] == "deactivate" and '"open_cases":1' in rows[0][1],
        "audited once, with what was left to reassign", rows)
t.check(int(site.sql("SELECT count(*) FROM outbox WHERE topic = 'user.deactivated'")[0][0]) == 1,
        "event user.deactivated published")

# ---- reactivated, then deactivated from the administration page ----
r = admin.api("POST", f"/users/{mid}/activate")
t.check(r.status == 200 and r.json()["active"] is True, "reactivated", r.text)
marie = Client(srv)
t.check(marie.login("marie").status == 200, "she logs in again")
t.check(with_token("/caseload").status == 200, "her API token works again")

page = admin.request("GET", "/admin").text
t.check(f'action="/admin/users/{mid}/active"' in page
        and f'action="/admin/users/{aid}/active"' not in page,
        "the administration page has a button per user, none for oneself")
r = admin.form(f"/admin/users/{mid}/active", {"action": "deactivate"})
loc = r.header("Location") or ""
t.check(r.status in (302, 303) and loc.startswith("/schedule?manager=marie"),
        "with cases left, the page leads to the échéancier filtered on her", (r.status, loc))
page = admin.request("GET", loc).text
t.check("réattribuez-les" in page, "which says to reassign them", page[:2000])
to = re.search(r'<select id="f-to" name="to">(.*?)</select>', page, re.S)
t.check(to and 'value="marie"' not in to.group(1) and 'value="paul"' in to.group(1),
        "she is not offered as the one to reassign to", to and to.group(1))
t.check(marie.api("GET", "/caseload").status == 401, "her new session ended too")
r = admin.form(f"/admin/users/{mid}/active", {"action": "activate"})
t.check(r.status in (302, 303) and "flash.user.activated" in (r.header("Location") or ""),
        "reactivated from the page", r.status)
r = admin.form("/admin/users/999/active", {"action": "deactivate"})
t.check(r.status == 404 and "there is no user 999" in r.text,
        "an unknown user on the page is named by its number", r.status)
r = admin.form(f"/admin/users/{mid}/active", {"action": "delete"})
t.check(r.status == 422 and "deactivate or activate" in r.text
        and '<p class="fr-error" role="alert">' in r.text,
        "an unknown action is refused next to the user's button, saying which exist", r.status)

# ---- added from the page with a language and a capacity ----
r = admin.form("/admin/users", {"login": "an", "display_name": "An Peeters", "role": "case_manager",
                                "language": "nl", "capacity": "30",
                                "password": "correct-horse-battery"})
t.check(r.status in (302, 303), "a user is added from the administration page", r.status)
row = site.sql("SELECT language, capacity FROM users WHERE login = 'an'")
t.check(len(row) == 1 and row[0][0] == "nl" and str(row[0][1]) == "30",
        "with her language and capacity", row)
r = admin.form("/admin/users", {"login": "bo", "display_name": "Bo", "role": "case_manager",
                                "language": "fr", "capacity": "trente",
                                "password": "correct-horse-battery"})
t.check(r.status == 422 and "nombre entier de 0 à 1000" in r.text,
        "a capacity that is no number is refused, saying what to write", r.text[-1500:])
t.check(not site.sql("SELECT id FROM users WHERE login = 'bo'"), "and nobody is added")

# ---- a user's details changed (POST /users/{id}) ----
paul = Client(srv)
paul.login("paul")
pauls = {u["login"]: u for u in admin.api("GET", "/users").json()}["paul"]["id"]
r = admin.api("POST", f"/users/{mid}", {"capacity": 24})
t.check(r.status == 200 and r.json()["login"] == "marie"
        and str(site.sql("SELECT capacity FROM users WHERE login = 'marie'")[0][0]) in ("24", "24.0"),
        "an administrator changes a capacity", r.text)
r = admin.api("POST", f"/users/{mid}", {"role": "provider"})
t.check(r.status == 409 and "still manages 1 open case" in message(r),
        "a case manager with open cases keeps the role until they are handed over", r.text)
r = admin.api("POST", f"/users/{pauls}", {"role": "read_only"})
t.check(r.status == 200, "and a role", r.text)
r = paul.api("POST", "/patients", {"family_name": "Autre", "given_names": "A"})
t.check(r.status == 403, "the new role applies at once to the open session", r.text)
for body, needle, what in (({"capacity": -3}, "capacity: -3 is outside 0 to 1000", "a negative capacity"),
                           ({"role": "boss"}, "'boss' is not a role", "a role that is none"),
                           ({"rol": "admin"}, 'unknown field "rol"', "a misspelt field")):
    r = admin.api("POST", f"/users/{mid}", body)
    t.check(r.status == 400 and needle in message(r), f"{what} is refused", r.text)
r = admin.api("POST", f"/users/{aid}", {"role": "case_manager"})
t.check(r.status == 400 and "cannot take your own administrator role" in message(r),
        "an administrator does not take their own role away", r.text)
marie = Client(srv)
marie.login("marie")
r = marie.api("POST", f"/users/{aid}", {"capacity": 1})
t.check(r.status == 403, "a case manager changes nobody", r.text)
audit = site.sql("SELECT detail FROM audit WHERE object_type = 'user' AND action = 'update'"
                 " ORDER BY id")
t.check(any('"role":{"from":"case_manager","to":"read_only"}' in d[0] for d in audit),
        "the change is audited from and to", audit)

# ---- the user's page on /admin: the same changes, and leaving a team ----
page = admin.request("GET", "/admin").text
t.check(f'href="/admin/users/{mid}"' in page, "the administration lists each user with a link")
page = admin.request("GET", f"/admin/users/{mid}").text
t.check('name="display_name"' in page and "Marie" in page and 'value="24"' in page
        and "Namur" in page, "the user's page: the form filled in, and her team", page[-1500:])
r = admin.form(f"/admin/users/{mid}", {"display_name": "Marie Dubois-Lenoir", "role": "case_manager",
                                        "language": "nl", "capacity": "trente"})
t.check(r.status == 422 and problem_of(r.text, "f-capacity")
        and 'value="Marie Dubois-Lenoir"' in r.text and 'value="trente"' in r.text,
        "a capacity that is no number: under it, what was typed kept", problem_of(r.text, "f-capacity"))
t.check(str(site.sql("SELECT capacity FROM users WHERE login = 'marie'")[0][0]) in ("24", "24.0"),
        "and nothing changed")
r = admin.form(f"/admin/users/{mid}", {"display_name": "Marie Dubois-Lenoir", "role": "case_manager",
                                        "language": "nl", "capacity": "30"})
row = site.sql("SELECT display_name, language, capacity FROM users WHERE login = 'marie'")[0]
t.check(r.status == 303 and row[0] == "Marie Dubois-Lenoir" and row[1] == "nl"
        and str(row[2]) in ("30", "30.0"), "changed from the page", (r.status, row))
r = admin.form(f"/admin/users/{aid}", {"display_name": "Admin", "role": "provider",
                                        "language": "fr", "capacity": ""})
t.check(r.status == 422 and "Vous ne pouvez pas retirer vous-même votre rôle d'administrateur"
        in (problem_of(r.text, "f-role") or ""),
        "one's own administrator role is kept, said under the role in French",
        problem_of(r.text, "f-role"))
r = admin.form(f"/admin/users/{mid}", {"display_name": "Marie Dubois-Lenoir", "role": "read_only",
                                        "language": "nl", "capacity": "30"})
t.check(r.status == 422 and "gère encore des dossiers ouverts" in (problem_of(r.text, "f-role") or "")
        and site.sql("SELECT role FROM users WHERE login = 'marie'")[0][0] == "case_manager",
        "nor is a case manager who manages open cases made read-only: under the role, in French",
        problem_of(r.text, "f-role"))
r = admin.form(f"/admin/users/{mid}/leave", {"team": "Namur"})
t.check(r.status == 303 and not site.sql(
    "SELECT 1 FROM team_members tm JOIN users u ON u.id = tm.user_id WHERE u.login = 'marie'"),
    "marie is taken out of her team", r.status)
r = admin.form(f"/admin/users/{mid}/leave", {"team": "Namur"})
t.check(r.status == 409 and "ne fait pas (ou plus) partie de cette équipe" in r.text
        and "filrouge team list" not in r.text,
        "again (another tab): said on the page in French (409: changed meanwhile)", r.text[-1500:])
# added to a team from her page (the teams she is not in), as /admin does
page = admin.request("GET", f"/admin/users/{mid}").text
join = re.search(rf'action="/admin/users/{mid}/join".*?</form>', page, re.S)
t.check(join and '<option value="Namur">' in join.group(0),
        "her page offers the teams she is not in", page[-1500:])
r = admin.form(f"/admin/users/{mid}/join", {"team": ""})
t.check(r.status == 422 and "obligatoire" in (problem_of(r.text, "f-jteam") or ""),
        "no team chosen: said under the choice", problem_of(r.text, "f-jteam"))
r = admin.form(f"/admin/users/{mid}/join", {"team": "Nulle part"})
t.check(r.status == 422 and "équipe n'existe pas" in (problem_of(r.text, "f-jteam") or ""),
        "a team that does not exist: under the choice, in French", problem_of(r.text, "f-jteam"))
r = admin.form(f"/admin/users/{mid}/join", {"team": "Namur"})
t.check(r.status == 303 and r.header("Location") == f"/admin/users/{mid}?msg=flash.saved"
        and site.sql("SELECT 1 FROM team_members tm JOIN users u ON u.id = tm.user_id"
                     " WHERE u.login = 'marie'"),
        "she is added to the team, back to her page", (r.status, r.header("Location")))
r = admin.form(f"/admin/users/{mid}/join", {"team": "Namur"})
t.check(r.status == 409 and "déjà partie de cette équipe" in r.text,
        "again (another tab): said on her page (409)", r.text[-1500:])
# her state and the button of /admin, back to her page
page = admin.request("GET", f"/admin/users/{mid}").text
t.check(f'action="/admin/users/{mid}/active"' in page and 'value="deactivate"' in page
        and "<strong>désactivé</strong>" not in page,
        "an active user's page: the deactivate button", page[:3000])
page = admin.request("GET", f"/admin/users/{aid}").text
t.check(f'action="/admin/users/{aid}/active"' not in page, "none on one's own page")
t.check(admin.form("/admin/teams", {"team": "Dinant"}).status == 303, "a second team")
r = admin.form(f"/admin/users/{pauls}/active", {"action": "deactivate", "back": "user"})
t.check(r.status == 303 and r.header("Location") == f"/admin/users/{pauls}?msg=flash.user.deactivated",
        "deactivated from his page, back to it", (r.status, r.header("Location")))
page = admin.request("GET", r.header("Location")).text
t.check("<strong>désactivé</strong>" in page and 'value="activate"' in page
        and f'action="/admin/users/{pauls}/join"' not in page,
        "his page says he is deactivated, with the button to reactivate him (no team to join)",
        page[-2500:])
t.check("réactivez-le d'abord" in page.replace("&#39;", "'"),
        "and why there is no team to join: he must be reactivated first", page[-2500:])
joined = lambda: site.sql("SELECT count(*) FROM team_members tm JOIN users u ON u.id = tm.user_id"
                          " WHERE u.login = 'paul'")[0][0]
before = joined()
r = admin.form(f"/admin/users/{pauls}/join", {"team": "Dinant"})
t.check(r.status == 409 and "réactivez-le d'abord" in alert(r.text) and joined() == before,
        "adding him to a team from a page shown before he was deactivated: said why (409), "
        "nothing added", (r.status, alert(r.text)))
r = admin.form(f"/admin/users/{pauls}/active", {"action": "deactivate", "back": "user"})
t.check(r.status == 409 and "déjà désactivé" in alert(r.text)
        and f'action="/admin/users/{pauls}"' in r.text,
        "deactivated again from his page (another tab): said there, on his page (409), not as done",
        (r.status, alert(r.text)))
admin.form(f"/admin/users/{pauls}/active", {"action": "activate", "back": "user"})
r = admin.form(f"/admin/users/{pauls}/active", {"action": "activate"})
t.check(r.status == 409 and "déjà actif" in alert(r.text),
        "reactivated again (another tab): said the same way (409)", (r.status, alert(r.text)))
r = admin.request("GET", "/admin/users/999")
t.check(r.status == 404 and "Aucun utilisateur n&#39;a ce numéro" in r.text
        and "filrouge user list" not in r.text,
        "a user that does not exist: said in French, without a command", r.text[-800:])
r = marie.request("GET", f"/admin/users/{aid}")
t.check(r.status == 403, "the page is for administrators", r.status)
t.finish()
