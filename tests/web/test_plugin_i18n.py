"""A plugin's workflow in each reader's language: a Dutch- and a
German-speaking case manager read the frailty workflow's states and the
tasks it created in their language, on the case page, the échéancier, the
API (their language, or `lang`) and the calendar feed; a task someone typed
keeps its one title; a corrected translation reaches the open tasks without
a new version (docs/workflows.md, "Titles and versions")."""
import html
import os
import re
import shutil

from webtest import FR, Checks, Client, Server, Site

t = Checks()
site = Site()
for login, lang in (("marie", "fr"), ("jan", "nl"), ("lena", "de")):
    site.fr("user", "add", login, "--name", login.title(), "--role", "case_manager",
            "--language", lang, "--capacity", "40")
    site.fr("user", "passwd", login, stdin="correct-horse\n")
    site.fr("team", "join", "Namur", login)
site.fr("patient", "add", "--family", "Peeters", "--given", "Maria")
site.fr("case", "open", "1", "--workflow", "frailty", "--team", "Namur", "--manager", "jan")
cid = int(site.sql("SELECT max(id) FROM cases")[0][0])
srv = Server(site)
users = {}
for login in ("marie", "jan", "lena"):
    users[login] = Client(srv)
    r = users[login].login(login)
    t.check(r.status == 200, f"{login} logs in", r.text)
r = users["marie"].api("POST", "/tasks", {"case_id": cid, "title": "Appeler le médecin traitant",
                                          "due_on": "01/12/2030"})
t.check(r.status == 201, "marie types a task on the case", r.text)
# A referral's follow-up, a task the kernel makes: worded for each reader,
# its specialty as typed.
r = users["marie"].api("POST", f"/cases/{cid}/referrals", {"specialty": "gériatre",
                                                           "reason": "chutes"})
t.check(r.status == 201, "marie refers the person to a geriatrician", r.text)
FOLLOW = {"marie": "Relancer l'orientation : gériatre", "jan": "Verwijzing opvolgen: gériatre",
          "lena": "Überweisung nachfassen: gériatre"}

STATE = {"marie": "Signalement", "jan": "Aanmelding", "lena": "Meldung"}
TASK = {"marie": "Contacter la personne et la famille",
        "jan": "Contact opnemen met de persoon en de familie",
        "lena": "Die Person und die Familie kontaktieren"}
t.check(site.sql("SELECT title FROM tasks WHERE origin = 'workflow'")[0][0] == TASK["marie"],
        "the task is stored once, in the site's first language")

for login, c in users.items():
    page = c.request("GET", f"/cases/{cid}").text
    t.check(STATE[login] in page and TASK[login] in page,
            f"{login}'s case page shows the state and the workflow's task in their language",
            page[-3000:])
    t.check("Appeler le médecin traitant" in page,
            f"{login}'s case page shows the typed task as it was typed")
    text = html.unescape(page)
    t.check(FOLLOW[login] in text and not any(FOLLOW[o] in text for o in FOLLOW if o != login),
            f"{login}'s case page words the referral's follow-up in their language", page[-3000:])
    others = [TASK[o] for o in TASK if o != login]
    t.check(not any(o in page for o in others), f"{login} reads no other language's task title",
            page[-3000:])
    page = c.request("GET", "/schedule").text
    t.check(TASK[login] in page, f"{login}'s échéancier shows the task in their language",
            page[-3000:])
    if login == "jan":
        t.check('data-confirm="De aangevinkte taken en dossiers opnieuw toewijzen aan de gekozen '
                'persoon?"' in page, "the reassignment asks its question in Dutch (no French ' ?')",
                re.findall(r'data-confirm="[^"]*"', page))

jan = users["jan"]
r = jan.api("GET", f"/tasks?case={cid}")
titles = [x["title"] for x in r.json()] if r.status == 200 else []
t.check(TASK["jan"] in titles and "Appeler le médecin traitant" in titles
        and not any("title_ref" in x for x in r.json()),
        "GET /api/v1/tasks: the user's language", r.text)
r = jan.api("GET", f"/tasks?case={cid}&lang=de")
t.check(r.status == 200 and TASK["lena"] in [x["title"] for x in r.json()],
        "GET /api/v1/tasks?lang=de: German", r.text)
r = jan.api("GET", f"/tasks?case={cid}&lnag=de")
t.check(r.status == 400 and "lang" in r.text, "a misspelt lang is refused, naming it", r.text)
r = jan.api("GET", f"/cases/{cid}")
case = r.json() if r.status == 200 else {}
t.check(case.get("state_title") == STATE["jan"]
        and TASK["jan"] in [x["title"] for x in case.get("tasks", [])],
        "GET /api/v1/cases/{id}: state and tasks in the user's language", r.text)

# The calendar feed: in its owner's language (jan manages the case).
r = jan.form("/schedule/calendar", {})
m = re.search(r"/calendar/([0-9a-f]{64})\.ics", r.text)
t.check(r.status == 200 and m, "jan gets a calendar feed", r.text[-300:])
if m:
    cal = Client(srv).request("GET", f"/calendar/{m.group(1)}.ics").text
    t.check("SUMMARY:" + TASK["jan"] in cal, "the calendar feed titles the task in Dutch", cal)
    t.check("SUMMARY:" + FOLLOW["jan"] in cal, "and the referral's follow-up", cal)

# A corrected translation (the site's copy of the plugin): same version, the
# open task reads the new title.
plugin = os.path.join(site.dir, "plugins", "frailty")
shutil.copytree(os.path.join(os.path.dirname(FR), "plugins", "frailty"), plugin)
wf = os.path.join(plugin, "frailty.workflow.xml")
with open(wf, encoding="utf-8") as f:
    text = f.read()
with open(wf, "w", encoding="utf-8") as f:
    f.write(text.replace(TASK["jan"], "Neem contact op met de persoon en de familie"))
srv.stop()
site.fr("plugin", "list")
srv = Server(site)
jan = Client(srv)
jan.login("jan")
page = jan.request("GET", f"/cases/{cid}").text
t.check("Neem contact op met de persoon en de familie" in page,
        "a corrected Dutch title reaches the open task", page[-3000:])
t.check(int(site.sql("SELECT count(*) FROM workflows WHERE id = 'frailty'")[0][0]) == 1
        and int(site.sql(f"SELECT workflow_version FROM cases WHERE id = {cid}")[0][0]) == 2,
        "without a new version: the case keeps its version")
srv.stop()
t.finish()
