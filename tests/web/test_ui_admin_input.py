"""The administration's, the tokens', the échéancier's and the triage's
forms under bad input: a refused form comes back (422, never a bare error
page) with each problem next to its field in the user's language (French,
English), what was typed kept (never a password), and nothing written.
The kernel refuses the same input from the command line and the API."""
import html
import os
import re

from webtest import Checks, Client, Server, Site, alert, problem_of, value_at

t = Checks()
site = Site(plugins=("instruments", "frailty", "youth"))
site.user("admin", role="admin")
site.user("root", role="admin")
site.fr("user", "add", "sam", "--name", "Sam Jones", "--role", "admin", "--language", "en")
site.fr("user", "passwd", "sam", stdin="correct-horse\n")
site.user("marie", team="Namur")
site.user("paul", team="Namur")
site.user("dr-j", role="provider")
site.user("ines", role="provider")
site.fr("user", "deactivate", "ines")  # on the list of a page shown before
site.fr("user", "add", "emma", "--name", "Emma", "--role", "case_manager", "--language", "en")
site.fr("user", "passwd", "emma", stdin="correct-horse\n")
# plugins with a problem found when the site opens: one enabled here but not
# installed, two that require each other (test plugins of the search path)
for pid in ("ghost", "cycle-a", "cycle-b"):
    site.sql(f"INSERT INTO plugins (id, enabled, version, changed_at, changed_by)"
             f" VALUES ('{pid}', 1, '1.0', '2026-01-01T00:00:00Z', 'admin')")
# a plugin whose workflow requires a form nobody provides (misspelt)
os.makedirs(os.path.join(site.dir, "plugins", "ghostly"))
with open(os.path.join(site.dir, "plugins", "ghostly", "plugin.xml"), "w") as f:
    f.write('<plugin xmlns="urn:filrouge:plugin:1" id="ghostly" version="1.0" abi="1">\n'
            '  <workflow file="ghostly.xml"/>\n</plugin>\n')
with open(os.path.join(site.dir, "plugins", "ghostly", "ghostly.xml"), "w") as f:
    f.write('<workflow xmlns="urn:filrouge:workflow:1" id="ghostly" version="1">\n'
            '  <state id="a" initial="true"/>\n  <state id="b" final="true"/>\n'
            '  <transition event="go" from="a" to="b"><requires-form form="ghost-form"/>'
            '</transition>\n</workflow>\n')
srv = Server(site)
admin = Client(srv)
admin.login("admin")
sam = Client(srv)
sam.login("sam")


def selected(page, select_id):
    m = re.search(r'<select id="' + re.escape(select_id) + r'"[^>]*>(.*?)</select>', page, re.S)
    s = m and re.search(r'<option value="([^"]*)" selected>', m.group(1))
    return html.unescape(s.group(1)) if s else None


def count(query):
    return int(site.sql(query)[0][0])


def refused(client, path, fields, input_id, needle, what, kept=None):
    """Posts a form that must come back (422) with needle in the problem
    under input_id and, when kept is given, that input's value kept."""
    r = client.form(path, fields)
    t.check(r.status == 422 and needle in (problem_of(r.text, input_id) or "")
            and (kept is None or value_at(r.text, input_id) == kept),
            what, (r.status, problem_of(r.text, input_id), value_at(r.text, input_id)))
    return r


users = count("SELECT count(*) FROM users")

# ---- adding a user --------------------------------------------------------
typed = {"login": "Jean Dupont", "display_name": "   ", "role": "provider", "language": "nl",
         "capacity": "5000", "password": "short"}
r = admin.form("/admin/users", typed)
page = r.text
t.check(r.status == 422 and '<details id="add-user" open>' in page,
        "a refused user comes back as the administration page, the form open (422)", r.status)
t.check("lettres minuscules" in (problem_of(page, "f-login") or "")
        and "obligatoire" in (problem_of(page, "f-display_name") or "")
        and "de 0 à 1000" in (problem_of(page, "f-capacity") or "")
        and "8 caractères" in (problem_of(page, "f-password") or ""),
        "every problem at once, each under its field, in French",
        {k: problem_of(page, "f-" + k) for k in typed})
t.check(value_at(page, "f-login") == "Jean Dupont" and value_at(page, "f-capacity") == "5000"
        and selected(page, "f-role") == "provider" and selected(page, "f-language") == "nl",
        "the login, the capacity, the role and the language are kept",
        (value_at(page, "f-login"), value_at(page, "f-capacity"), selected(page, "f-role")))
t.check(value_at(page, "f-password") == "" and 'value="short"' not in page,
        "the password is not sent back into the page")
t.check("autofocus" in page.split('id="f-login"')[1][:400], "the first field with a problem has the focus")
t.check(count("SELECT count(*) FROM users") == users, "nobody is added")

r = sam.form("/admin/users", dict(typed, login="x", display_name="Jo"))
t.check(r.status == 422 and "lower-case letters" in (problem_of(r.text, "f-login") or "")
        and "from 0 to 1000" in (problem_of(r.text, "f-capacity") or "")
        and "at least 8 characters" in (problem_of(r.text, "f-password") or "")
        and problem_of(r.text, "f-display_name") is None,
        "in English for an English-speaking administrator", r.text[-2500:])

ok = {"login": "nina", "display_name": "Nina", "role": "case_manager", "language": "fr",
      "capacity": "", "password": "correct-horse-battery"}
refused(admin, "/admin/users", dict(ok, login="marie"), "f-login", "déjà pris",
        "a login already taken is said under the login (the kernel's refusal)", kept="marie")
refused(sam, "/admin/users", dict(ok, login="marie"), "f-login", "already taken", "in English too")
r = refused(admin, "/admin/users", dict(ok, role="chef"), "f-role", "rôle n'existe pas",
            "an unknown role is refused under the role")
t.check(value_at(r.text, "f-login") == "nina", "the rest kept", value_at(r.text, "f-login"))
refused(admin, "/admin/users", dict(ok, language="xx"), "f-language", "langue",
        "an unknown language is refused under the language")
refused(admin, "/admin/users", dict(ok, display_name="Nina\x07"), "f-display_name", "contrôle",
        "a control character in the name is refused under it", kept="Nina\x07")
r = refused(admin, "/admin/users", dict(ok, password="p" * 1025), "f-password", "1024",
            "a password too long is refused")
t.check("p" * 1025 not in r.text, "and not sent back")
t.check(count("SELECT count(*) FROM users") == users, "still nobody is added")
r = admin.form("/admin/users", dict(ok, capacity=" 30 "))
t.check(r.status in (302, 303)
        and site.sql("SELECT capacity FROM users WHERE login = 'nina'") in ([(30,)], [("30",)]),
        "the same form, right, adds the user with her capacity", r.status)
users += 1

# The kernel is the authority: the same refusals from the API and the CLI,
# and a user is added with their password or not at all.
r = admin.api("POST", "/users", {"login": "zoe", "display_name": "Zoé", "password": "short"})
t.check(r.status == 400 and "at least 8" in r.text and count("SELECT count(*) FROM users") == users,
        "the API refuses a short password and adds nobody (no user left without one)", r.text)
r = admin.api("POST", "/users", {"login": "zoe", "display_name": "Zoé", "capacity": 5000,
                                 "password": "correct-horse"})
t.check(r.status == 400 and "capacity" in r.text and count("SELECT count(*) FROM users") == users,
        "the API refuses a capacity over 1000", r.text)
p = site.fr("user", "add", "zoe", "--name", "Zoé", "--capacity", "5000", check=False)
t.check(p.returncode != 0 and "capacity" in p.stderr, "the command line too", p.stderr)
r = admin.api("POST", "/users", {"login": "zoe", "display_name": "Zoé", "password": "correct-horse"})
zoe = Client(srv)
t.check(r.status == 201 and zoe.login("zoe").status == 200,
        "a user added with a password through the API logs in with it", r.text)
users += 1

# ---- teams ------------------------------------------------------------------
teams = count("SELECT count(*) FROM teams")
refused(admin, "/admin/teams", {"team": "   "}, "f-team", "obligatoire",
        "a team of spaces only is refused under its field")
refused(admin, "/admin/teams", {"team": "Ciney\x1b[31m"}, "f-team", "contrôle",
        "a control character in a team's name is refused, the name kept", kept="Ciney\x1b[31m")
refused(sam, "/admin/teams", {"team": "Namur"}, "f-team", "already taken",
        "a team that exists is said under the name, in English", kept="Namur")
t.check(count("SELECT count(*) FROM teams") == teams, "no team is added")
p = site.fr("team", "add", "   ", check=False)
t.check(p.returncode != 0 and "team needs a name" in p.stderr,
        "the command line refuses a team of spaces only", p.stderr)

members = count("SELECT count(*) FROM team_members")
r = admin.form("/admin/teams/join", {"team": "Nulle part", "login": "paul"})
t.check(r.status == 422 and "équipe n'existe pas" in (problem_of(r.text, "f-jteam") or "")
        and selected(r.text, "f-juser") == "paul",
        "an unknown team is refused under the team, the person kept", problem_of(r.text, "f-jteam"))
r = admin.form("/admin/teams/join", {"team": "Namur", "login": "nobody"})
t.check(r.status == 422 and "choisissez-en un dans la liste" in (problem_of(r.text, "f-juser") or "")
        and selected(r.text, "f-jteam") == "Namur",
        "an unknown person is refused under the person, the team kept", problem_of(r.text, "f-juser"))
r = admin.form("/admin/teams/join", {"team": "Namur", "login": "ines"})
t.check(r.status == 409 and "réactivez-le d'abord" in (problem_of(r.text, "f-juser") or "").replace("&#39;", "'"),
        "a person deactivated since the page was shown: said under the person, to be reactivated "
        "first (409)", (r.status, problem_of(r.text, "f-juser")))
r = sam.form("/admin/teams/join", {"team": "Namur", "login": "paul"})
t.check(r.status == 409 and "already in this team" in alert(r.text),
        "someone already in the team (added meanwhile): said above the form (409), in English",
        (r.status, alert(r.text)))
t.check(count("SELECT count(*) FROM team_members") == members, "nobody joins a team")

# ---- deactivating ----------------------------------------------------------
aid = site.sql("SELECT id FROM users WHERE login = 'admin'")[0][0]
r = admin.form(f"/admin/users/{aid}/active", {"action": "deactivate"})
t.check(r.status == 422 and "votre propre compte" in alert(r.text)
        and count("SELECT active FROM users WHERE login = 'admin'") == 1,
        "an administrator deactivating themselves is refused next to the button, nothing changed",
        alert(r.text))
sid = site.sql("SELECT id FROM users WHERE login = 'sam'")[0][0]
r = sam.form(f"/admin/users/{sid}/active", {"action": "deactivate"})
t.check(r.status == 422 and "your own account" in alert(r.text), "in English too", alert(r.text))
jid = site.sql("SELECT id FROM users WHERE login = 'dr-j'")[0][0]
sam.form(f"/admin/users/{jid}/active", {"action": "deactivate"})
r = sam.form(f"/admin/users/{jid}/active", {"action": "deactivate"})
t.check(r.status == 409 and "already deactivated" in alert(r.text),
        "a user deactivated again (another tab): said next to the button (409), in English",
        (r.status, alert(r.text)))
sam.form(f"/admin/users/{jid}/active", {"action": "activate"})

# ---- plugins: the kernel's refusals next to the button, in the user's language
def plugin_problem(r, pid):
    """The alert next to plugin pid's button."""
    return alert(r.text.split(f'action="/admin/plugins/{pid}"')[-1][:1200])


def enabled(pid):
    return count(f"SELECT count(*) FROM plugins WHERE id = '{pid}' AND enabled = 1")


# a requirement not installed (test plugins of the search path)
r = admin.form("/admin/plugins/needs-missing", {"action": "enable"})
t.check(r.status == 422 and "besoin du module nonexistent, qui n'est pas installé"
        in plugin_problem(r, "needs-missing"),
        "a plugin whose requirement is not installed says so next to its button, in French",
        alert(r.text))
t.check(not enabled("needs-missing"), "and it is not enabled")
r = sam.form("/admin/plugins/needs-missing", {"action": "enable"})
t.check(r.status == 422 and "needs the plugin nonexistent, which is not installed"
        in plugin_problem(r, "needs-missing"), "in English for Sam", alert(r.text))
# a required form nobody provides: refused, the form named, no path
r = admin.form("/admin/plugins/ghostly", {"action": "enable"})
t.check(r.status == 422 and "exige le formulaire ghost-form, que ni ce site ni aucun module"
        in plugin_problem(r, "ghostly") and "ghostly.xml" not in plugin_problem(r, "ghostly")
        and not enabled("ghostly"),
        "a plugin requiring a form nobody provides: refused next to its button, in French",
        alert(r.text))
# a requirement installed but not enabled
r = admin.form("/admin/plugins/xmlonly", {"action": "enable"})
t.check(r.status == 422 and "activez d'abord echo" in plugin_problem(r, "xmlonly")
        and not enabled("xmlonly"),
        "a plugin whose requirement is not enabled: enable it first, nothing enabled",
        alert(r.text))
# a requirement in a version that does not fit
t.check(admin.form("/admin/plugins/echo", {"action": "enable"}).status == 303, "echo enabled")
r = admin.form("/admin/plugins/needs-new", {"action": "enable"})
t.check(r.status == 422 and "la version installée du module echo" in plugin_problem(r, "needs-new")
        and not enabled("needs-new"),
        "a plugin that needs another version of its requirement says so", alert(r.text))
r = sam.form("/admin/plugins/needs-new", {"action": "enable"})
t.check(r.status == 422 and "installed version of the plugin echo" in plugin_problem(r, "needs-new"),
        "in English for Sam", alert(r.text))
# disabling one that others need
r = admin.form("/admin/plugins/instruments", {"action": "disable"})
t.check(r.status == 422 and "désactivez d'abord frailty, youth" in plugin_problem(r, "instruments")
        and enabled("instruments"),
        "a plugin others need cannot be disabled: disable them first, nothing changed",
        alert(r.text))
r = sam.form("/admin/plugins/instruments", {"action": "disable"})
t.check(r.status == 422 and "disable frailty, youth first" in plugin_problem(r, "instruments"),
        "in English for Sam", alert(r.text))
# disabling one disabled meanwhile (another tab)
t.check(admin.form("/admin/plugins/echo", {"action": "disable"}).status == 303, "echo disabled")
r = admin.form("/admin/plugins/echo", {"action": "disable"})
t.check(r.status == 409 and "désactivé entre-temps" in plugin_problem(r, "echo")
        and not enabled("echo"),
        "disabling it again (another tab): said next to its button (409)", (r.status, alert(r.text)))

# the problems listed under a plugin, found when the site opened: in the
# user's language too, the command line keeping the kernel's words
def standing(page, pid):
    """The problem shown under plugin pid in /admin's list, or None."""
    m = re.search(rf'<th scope="row">{re.escape(pid)}</th>.*?<span class="error">([^<]*)</span>'
                  rf'[^<]*</td><td><form method="post" action="/admin/plugins/{re.escape(pid)}"',
                  page, re.S)
    return html.unescape(m.group(1)) if m else None


page = admin.request("GET", "/admin").text
t.check("introuvable sur ce serveur" in (standing(page, "ghost") or "")
        and "filrouge" not in (standing(page, "ghost") or ""),
        "a plugin enabled here but not installed: said under it in French, without a command",
        standing(page, "ghost"))
t.check("cycle d'exigences (cycle-a -> cycle-b -> cycle-a)" in (standing(page, "cycle-a") or ""),
        "plugins that require each other: said under each, naming the cycle",
        standing(page, "cycle-a"))
page = sam.request("GET", "/admin").text
t.check("not found on this server" in (standing(page, "ghost") or "")
        and "requirement cycle" in (standing(page, "cycle-b") or ""),
        "in English for Sam", (standing(page, "ghost"), standing(page, "cycle-b")))
t.check(site.tmp not in page and "/plugins/" not in re.sub(r'action="/admin/plugins/[^"]*"', "", page),
        "no server path on the page")
p = site.fr("plugin", "list")
t.check("not found in the plugin search path" in p.stdout and "requirement cycle" in p.stdout,
        "the command line keeps the kernel's words", p.stdout)

# ---- API tokens --------------------------------------------------------------
marie = Client(srv)
marie.login("marie")
emma = Client(srv)
emma.login("emma")
tokens = count("SELECT count(*) FROM api_tokens")
refused(marie, "/settings/tokens", {"name": "   "}, "f-token-name", "obligatoire",
        "a token without a name is refused under the name")
refused(marie, "/settings/tokens", {"name": "export\x01"}, "f-token-name", "contrôle",
        "a control character is refused, the name kept", kept="export\x01")
r = refused(emma, "/settings/tokens", {"name": "n" * 81}, "f-token-name", "at most 80",
            "a name too long is refused in English, kept", kept="n" * 81)
t.check(count("SELECT count(*) FROM api_tokens") == tokens and "frt_" not in r.text,
        "no token is made")
r = marie.api("POST", "/tokens", {"name": "   "})
t.check(r.status == 400, "the API refuses a name of spaces only too", r.text)
for i in range(20):
    emma.api("POST", "/tokens", {"name": f"script {i}"})
r = emma.form("/settings/tokens", {"name": "one more"})
t.check(r.status == 422 and "20 live tokens" in alert(r.text)
        and value_at(r.text, "f-token-name") == "one more" and "frt_" not in r.text,
        "a 21st token is refused above the form, the name kept", alert(r.text))

# ---- the échéancier's bulk reassignment ----------------------------------------
pid = marie.api("POST", "/patients", {"family_name": "Lambert", "given_names": "Jeanne"}).json()["id"]
cid = marie.api("POST", "/cases", {"patient_id": pid, "workflow": "frailty", "manager": "marie",
                                   "team": "Namur"}).json()["id"]
tid = marie.api("GET", f"/tasks?case={cid}").json()[0]["id"]
before = site.sql("SELECT id, assignee_id FROM tasks ORDER BY id")
r = marie.form("/schedule/reassign", [("manager", "marie"), ("to", "")])
t.check(r.status == 422 and "Cochez au moins" in alert(r.text)
        and "personne à qui réassigner" in (problem_of(r.text, "f-to") or ""),
        "nothing ticked and nobody chosen: both said at once", (alert(r.text), problem_of(r.text, "f-to")))
r = marie.form("/schedule/reassign", [("manager", "marie"), ("task", tid), ("case", cid),
                                      ("to", "nobody")])
t.check(r.status == 422 and "personne à qui réassigner" in (problem_of(r.text, "f-to") or "")
        and f'value="{tid}" aria-label' in r.text
        and re.search(rf'value="{tid}"[^>]*checked', r.text)
        and re.search(rf'name="case" value="{cid}" checked', r.text),
        "an unknown person is refused under the choice, the boxes ticked kept", problem_of(r.text, "f-to"))
r = marie.form("/schedule/reassign", [("manager", "marie"), ("task", tid), ("case", cid),
                                      ("to", "dr-j")])
t.check(r.status == 422 and "gestionnaire de cas" in (problem_of(r.text, "f-to") or "")
        and selected(r.text, "f-to") == "dr-j",
        "a case handed to a provider is refused under the choice, kept", problem_of(r.text, "f-to"))
t.check(site.sql("SELECT id, assignee_id FROM tasks ORDER BY id") == before
        and count(f"SELECT count(*) FROM cases c JOIN users u ON u.id = c.case_manager_id"
                  f" WHERE c.id = {cid} AND u.login = 'marie'") == 1,
        "nothing is reassigned, not even the task ticked before the case")
# All or nothing: a case and a task done meanwhile (another tab, a
# colleague): the case is not handed over either (it was, before the task's
# refusal stopped the rest).
t2 = marie.api("POST", "/tasks", {"case_id": cid, "title": "Appeler la fille", "due_on": "15/12/2026"})
t2 = t2.json().get("id") if t2.status == 201 else None
marie.api("POST", f"/tasks/{t2}/done")
before = site.sql("SELECT id, assignee_id FROM tasks ORDER BY id")
r = marie.form("/schedule/reassign", [("manager", "marie"), ("case", cid), ("task", tid),
                                      ("task", t2), ("to", "paul")])
t.check(t2 and r.status == 422 and "rien n'a été réassigné" in alert(r.text)
        and "à côté des champs" not in alert(r.text),
        "a task done meanwhile: the page says nothing was reassigned (not 'the fields marked':"
        " none is)", (t2, r.status, alert(r.text)))
t.check(site.sql("SELECT id, assignee_id FROM tasks ORDER BY id") == before
        and count(f"SELECT count(*) FROM cases c JOIN users u ON u.id = c.case_manager_id"
                  f" WHERE c.id = {cid} AND u.login = 'marie'") == 1,
        "and nothing was: neither the case ticked first nor its tasks")
r = marie.form("/schedule/reassign", [("manager", "marie"), ("case", cid), ("task", tid),
                                      ("to", "paul")])
t.check(r.status == 303 and count(f"SELECT count(*) FROM cases c JOIN users u ON"
                                  f" u.id = c.case_manager_id WHERE c.id = {cid}"
                                  f" AND u.login = 'paul'") == 1,
        "the same without the done task: reassigned", r.status)
t.check(r.header("Location") == "/schedule?manager=marie&msg=flash.reassigned",
        "back to the échéancier as it was filtered", r.header("Location"))
r = marie.request("GET", r.header("Location"))
t.check(r.status == 200 and '<option value="marie" selected>' in r.text,
        "the filter shown chosen", r.status)
r = emma.form("/schedule/reassign", [("to", "nobody")])
t.check(r.status == 422 and "Tick at least one" in alert(r.text)
        and "whom to reassign" in (problem_of(r.text, "f-to") or ""),
        "in English for Emma", alert(r.text))

# ---- triage: the request's answers onto a case ------------------------------
anon = Client(srv)
r = anon.form("/refer", [("_form", "youth-request"), ("_referrer_name", "Mme Martin"),
                         ("_referrer_contact", "02 000 00 00"), ("_person_name", "Emma Peeters"),
                         ("_situation", "Décrochage scolaire"), ("channel", "online"),
                         ("network-work", "true"), ("situation", "rupture"),
                         ("services", "École Les Tilleuls\nSSM Le Méridien")], csrf=False)
iid = site.sql("SELECT id FROM intakes ORDER BY id DESC LIMIT 1")[0][0]
marie.form(f"/triage/{iid}", {"action": "accept"})
for case_id, needle, what in (("", "obligatoire", "no case number"),
                              ("douze", "des chiffres", "a case number that is no number"),
                              (" 999999 ", "Aucun dossier", "a case that does not exist")):
    r = marie.form(f"/triage/{iid}", {"action": "submit", "case_id": case_id})
    t.check(r.status == 422 and needle in (problem_of(r.text, f"f-case-{iid}") or "")
            and value_at(r.text, f"f-case-{iid}") == case_id,
            f"{what} is refused under the number, as typed", (r.status, problem_of(r.text, f"f-case-{iid}")))
r = emma.form(f"/triage/{iid}", {"action": "submit", "case_id": "douze"})
t.check(r.status == 422 and "digits" in (problem_of(r.text, f"f-case-{iid}") or ""),
        "in English for Emma", problem_of(r.text, f"f-case-{iid}"))
t.check(count(f"SELECT count(*) FROM intakes WHERE id = {iid} AND submission_id IS NULL") == 1,
        "the answers are on no case")

# ---- triage: a request accepted or dismissed meanwhile (another tab) --------


def intake(name):
    anon.form("/refer", [("referrer_name", "Dr Leroy"), ("referrer_contact", "02 111 11 11"),
                         ("person_name", name), ("situation", "Isolement")], csrf=False)
    return site.sql("SELECT id FROM intakes ORDER BY id DESC LIMIT 1")[0][0]


def handled(iid):
    return site.sql(f"SELECT status, handled_by, handled_at FROM intakes WHERE id = {iid}")[0]


first, second = intake("Louis Dubois"), intake("Anne Collin")
t.check(marie.form(f"/triage/{first}", {"action": "accept"}).status == 303, "marie accepts one")
t.check(emma.form(f"/triage/{second}", {"action": "dismiss"}).status == 303, "emma dismisses the other")
as_left = (handled(first), handled(second))
r = marie.form(f"/triage/{first}", {"action": "dismiss"})
t.check(r.status == 409 and "<title>Signalements à trier" in r.text
        and re.search(r"déjà été acceptée par Marie le \d\d/\d\d/\d{4} :", alert(r.text)),
        "dismissing a request accepted meanwhile: the triage page again (409) saying by whom "
        "and when, in French", (r.status, alert(r.text)))
r = marie.form(f"/triage/{second}", {"action": "accept"})
t.check(r.status == 409 and re.search(r"classée sans suite par Emma le \d\d/\d\d/\d{4} :",
                                     alert(r.text)),
        "accepting a request dismissed meanwhile: said so", (r.status, alert(r.text)))
r = emma.form(f"/triage/{first}", {"action": "accept"})
t.check(r.status == 409 and "already accepted by Marie on" in alert(r.text),
        "in English for Emma", (r.status, alert(r.text)))
t.check((handled(first), handled(second)) == as_left,
        "nothing written: each request as the first one left it", (handled(first), handled(second)))
t.finish()
