"""Forms and the care tools through the API and the pages: list forms,
definition and rendering, a submission with one error (the error next to
its field), fixed (final, score and band shown), a draft saved and
resumed, history and amendments; the care plan with the person's approval
(and "needs a new approval" after a change); referrals; a meeting with a
decision that becomes an action; CSRF and access refusals."""
import re
import subprocess

import webtest

from webtest import Checks, Client, Server, Site

t = Checks()
# The test plugin "forms" (tests/plugins/forms) alone: its PHQ-9 is not the
# instruments plugin's, so the two are not enabled together.
site = Site(plugins=("forms",))
site.user("marie", team="Namur")
site.user("dr-j", role="provider")
# A site form with a nested repeat group and dates (<site>/forms).
import os
os.makedirs(os.path.join(site.dir, "forms"), exist_ok=True)
open(os.path.join(site.dir, "forms", "household.xml"), "w").write("""<?xml version="1.0" encoding="UTF-8"?>
<form xmlns="urn:filrouge:form:1" id="household" version="1">
  <title lang="fr">Ménage</title>
  <field id="visit" type="date" required="true"><label lang="fr">Date de la visite</label></field>
  <field id="has-pets" type="boolean"><label lang="fr">Animaux ?</label></field>
  <field id="pets" type="text" relevant="has-pets = 'true'"><label lang="fr">Lesquels ?</label></field>
  <group id="person" repeat="true">
    <label lang="fr">Personne</label>
    <field id="name" type="text" required="true"><label lang="fr">Nom</label></field>
    <group id="contact" repeat="true">
      <label lang="fr">Contact</label>
      <field id="when" type="date"><label lang="fr">Quand</label></field>
      <field id="what" type="text"><label lang="fr">Quoi</label></field>
    </group>
  </group>
</form>
""")
# A site hook whose message names no field of the form (written for
# another version of it, or a typo): the person must still read it.
open(os.path.join(site.dir, "hooks", "household.py"), "w").write("""import filrouge


@filrouge.validate("household")
def no_ghosts(values):
    if any(p.get("name") == "Ghost" for p in values.get("person", [])):
        return {"ghost": "nobody is called Ghost here"}


@filrouge.on("case.opened")
def welcome(ev):
    filrouge.add_note(ev.case_id, "Dossier vu par la règle d'accueil")
""")
srv = Server(site)

marie = Client(srv)
t.check(marie.login("marie").status == 200, "marie logs in")
pid = marie.api("POST", "/patients", {"family_name": "Lambert", "given_names": "Jeanne",
                                      "birth_date": "12/03/1941"}).json()["id"]
r = marie.api("POST", "/cases", {"patient_id": pid, "workflow": "assess", "team": "Namur",
                                  "opened_on": "01/12/2024"})
t.check(r.status == 201, "marie opens a case of the forms plugin", r.text)
cid = r.json()["id"]

# A hook's note is for people: on the case page, and in the API's case.
webtest.wait_until(lambda: marie.api("GET", f"/cases/{cid}").json().get("notes"))
r = marie.request("GET", f"/cases/{cid}")
m = re.search(r'<section id="notes"[^>]*>.*?</section>', r.text, re.S)
t.check(m and "Notes" in m.group(0) and "Dossier vu par la règle d" in m.group(0)
        and "(ajoutée par le hook site.household.welcome)" in m.group(0),
        "a note a hook wrote is on the case page, marked as the hook's", r.text[-3000:])

# ---- the API ----
r = marie.api("GET", "/forms")
ids = {f["id"] for f in r.json()} if r.status == 200 else set()
t.check({"efs", "phq9"} <= ids, "GET /forms lists the plugin's forms", r.text)
r = marie.api("GET", "/forms/phq9?lang=fr")
t.check(r.status == 200 and "Questionnaire" in r.text, "GET /forms/{id} describes the form", r.text)
r = marie.api("GET", "/forms/efs/html?lang=fr")
t.check(r.status == 200 and 'name="total"' in r.json()["html"],
        "GET /forms/{id}/html renders it with the stylesheet", r.text)
r = marie.api("GET", "/forms/nope")
t.check(r.status == 404, "an unknown form is a 404", r.text)

efs = {"total": 25, "date": "2026-01-10", "assessor": "Marie", "instrument-version": "1",
       "licence": "UA-1"}
r = marie.api("POST", f"/cases/{cid}/submissions", {"form": "efs", "data": efs})
probs = r.json().get("error", {}).get("problems", []) if r.status == 400 else []
t.check(r.status == 400 and any(p["field"] == "total" for p in probs),
        "a submission with one error is a 400 with the problem of that field", r.text)
r = marie.api("POST", f"/cases/{cid}/submissions", {"form": "efs", "data": efs}, csrf=False)
t.check(r.status == 403, "a submission without the CSRF token is refused", r.text)
efs["total"] = 8
r = marie.api("POST", f"/cases/{cid}/submissions", {"form": "efs", "data": efs})
sub = r.json() if r.status == 201 else {}
t.check(r.status == 201 and any(s.get("band") == "mild" for s in sub.get("scores", [])),
        "fixed, it is stored with its score and band", r.text)
sid = sub.get("id")


def reads_of(sid):
    return int(site.sql("SELECT count(*) FROM audit WHERE action = 'read' AND object_type ="
                        f" 'submission' AND object_id = '{sid}'")[0][0])


# The 201 shows what was written: the write's own audit entry covers it, no
# read entry of its own; reading it afterwards is a read, audited.
t.check(reads_of(sid) == 0, "the answer to a submission makes no read entry", reads_of(sid))
r = marie.api("GET", f"/submissions/{sid}")
t.check(r.status == 200 and r.json()["status"] == "final", "GET /submissions/{id}", r.text)
t.check(reads_of(sid) == 1, "reading it afterwards is audited", reads_of(sid))
r = marie.api("POST", f"/cases/{cid}/submissions", {"form": "phq9", "draft": True,
                                                     "data": {"q1": "1"}})
t.check(r.status == 201 and r.json()["status"] == "draft", "a draft through the API", r.text)
did = r.json().get("id")
r = marie.api("GET", "/drafts")
t.check(r.status == 200 and any(d["id"] == did for d in r.json()), "GET /drafts lists it", r.text)
r = marie.api("GET", f"/cases/{cid}/submissions?drafts=1")
t.check(r.status == 200 and [s["id"] for s in r.json()] == [did],
        "GET /cases/{id}/submissions?drafts=1", r.text)
r = marie.api("POST", f"/cases/{cid}/submissions",
              {"form": "efs", "amends": sid, "reason": "wrong total", "data": dict(efs, total=9)})
t.check(r.status == 201 and r.json().get("amends") == sid, "an amendment with a reason", r.text)
amendment = r.json()

# The 201 is built from what was stored, not read back: it is what a read
# gives, for a final submission, a draft, an amendment, a draft finalised.
def same_as_read(answer, what, **since):
    got = marie.api("GET", f"/submissions/{answer.get('id')}").json()
    t.check(dict(answer, **since) == got, f"the 201 of {what} is what a read of it gives",
            (answer, got))


same_as_read(sub, "a final submission", superseded_by=amendment["id"])
same_as_read(amendment, "an amendment")
r = marie.api("POST", f"/cases/{cid}/submissions", {"form": "phq9", "draft": True,
                                                     "data": {"q1": "2"}})
same_as_read(r.json(), "a draft")
r = marie.api("POST", f"/cases/{cid}/submissions",
              {"form": "phq9", "draft_id": r.json()["id"],
               "data": {f"q{i}": "1" for i in range(1, 10)}})
t.check(r.status == 201 and r.json()["status"] == "final", "the draft finalised", r.text)
same_as_read(r.json(), "a draft finalised")
r = marie.api("GET", f"/cases/{cid}/submissions?form=efs")
t.check(r.status == 200 and len(r.json()) == 2, "the history has both submissions", r.text)

# ---- the pages: one error, shown next to its field; fixed ----
r = marie.request("GET", f"/cases/{cid}")
t.check(r.status == 200 and f'/cases/{cid}/forms/efs"' in r.text and "Moderate frailty" in r.text,
        "the case page lists the forms with the latest band", r.text[:300])
r = marie.request("GET", f"/cases/{cid}/forms/efs")
t.check(r.status == 200 and 'name="_csrf"' in r.text and 'for="f-total"' in r.text,
        "the form page: the rendered form with a CSRF token and labels bound to inputs")
fields = {"total": "30", "date": "10/01/2026", "assessor": "Marie", "instrument-version": "1",
          "licence": "UA-1", "_action": "final"}
fields["date"] = "2026-01-11"
r = marie.form(f"/cases/{cid}/forms/efs", fields, csrf=False)
t.check(r.status == 403, "the form page's POST without CSRF is refused", r.status)
r = marie.form(f"/cases/{cid}/forms/efs", fields)
m = re.search(r'id="field-total".*?</div>', r.text, re.S)
t.check(r.status == 422 and m and "fr-error" in m.group(0) and 'value="30"' in r.text
        and 'aria-describedby="err-total"' in m.group(0) and 'aria-invalid="true"' in m.group(0),
        "one error: shown next to its field, the answers kept", r.text[:2000])
fields["total"] = "5"
r = marie.form(f"/cases/{cid}/forms/efs", fields)
t.check(r.status in (302, 303), "fixed: saved and back to the case", r.status)
r = marie.request("GET", f"/cases/{cid}/forms/efs")
t.check("Apparently vulnerable" in r.text and "efs = 5" in r.text,
        "the history shows the score and the band", r.text)

# ---- an amendment on the page, with a reason ----
last = marie.api("GET", f"/cases/{cid}/submissions?form=efs").json()[0]
r = marie.request("GET", f"/cases/{cid}/forms/efs?amend={last['id']}")
t.check(r.status == 200 and 'name="_reason"' in r.text and 'value="5"' in r.text,
        "amending: the answers and a reason field", r.text[:300])
r = marie.form(f"/cases/{cid}/forms/efs", dict(fields, total="6", _amends=str(last["id"]),
                                               _reason="total recopié de travers"))
t.check(r.status in (302, 303), "the amendment is saved", r.text[:1500])
r = marie.request("GET", f"/cases/{cid}/forms/efs")
t.check("total recopié de travers" in r.text and "remplacée" in r.text,
        "the history shows the amendment's reason and the superseded submission")
r = marie.request("GET", f"/cases/{cid}/forms/efs?amend=999999")
t.check(r.status == 404, "amending a submission that does not exist is a 404", r.status)

# ---- a draft saved and resumed ----
r = marie.form(f"/cases/{cid}/forms/phq9", {"q1": "2", "q2": "1", "_action": "draft"})
loc = r.header("Location") or ""
t.check(r.status in (302, 303) and "draft=" in loc, "the page saves a draft", loc)
r = marie.request("GET", loc)
t.check(r.status == 200 and re.search(r'name="q1" value="2"[^>]*checked', r.text)
        and 'name="_draft"' in r.text, "the draft is resumed with its answers", r.text[:500])
draft = re.search(r"draft=(\d+)", loc).group(1) if "draft=" in loc else "0"
answers = [(f"q{i}", "0") for i in range(1, 10)] + [("_action", "final"), ("_draft", draft)]
r = marie.form(f"/cases/{cid}/forms/phq9", answers)
t.check(r.status in (302, 303), "the draft is finalised", r.status)
r = marie.api("GET", f"/submissions/{draft}")
t.check(r.status == 200 and r.json()["status"] == "final", "the draft became final", r.text)

# ---- a form with a multiple choice (one box ticked) and a repeat group, as a browser posts it ----
r = marie.form(f"/cases/{cid}/forms/situation",
               [("birth", "1941-03-12"), ("lives-alone", "true"), ("distress", "6"),
                ("areas", "practical"), ("visits", "3"), ("member[1].member-name", "Sophie"),
                ("member[1].member-kind", "informal"), ("medication[1].drug", ""),
                ("remark", ""), ("_action", "final")])
t.check(r.status in (302, 303), "a multiple choice with one box and a repeat row are accepted",
        re.findall(r'class="fr-error"[^>]*>([^<]*)', r.text))
subs = marie.api("GET", f"/cases/{cid}/submissions?form=situation").json()
t.check(subs and subs[0]["data"].get("areas") == ["practical"],
        "the single ticked box is stored as a list", subs and subs[0]["data"])

r = marie.request("GET", f"/cases/{cid}/forms/situation")
t.check('value="addrow:member"' in r.text, "a repeat group has an 'add a row' button (no script needed)")
base = [("birth", "1941-03-12"), ("lives-alone", "false"), ("carer", "Sophie"),
        ("distress", "2"), ("member[1].member-name", "Sophie"),
        ("member[1].member-kind", "informal")]
r = marie.form(f"/cases/{cid}/forms/situation", base + [("_action", "addrow:member")])
t.check(r.status == 200 and 'name="member[2].member-name"' in r.text
        and 'value="Sophie"' in r.text, "adding a row keeps the answers and shows row 2",
        r.text[:300])
r = marie.form(f"/cases/{cid}/forms/situation",
               base + [("member[2].member-name", "Dr Peeters"), ("member[2].member-kind", "formal"),
                       ("_action", "final")])
m = re.search(r'id="field-member-2-member-role".*?</div>', r.text, re.S)
t.check(r.status == 422 and m and "fr-error" in m.group(0) and 'value="Dr Peeters"' in r.text,
        "an error in row 2 shows next to that row's field, both rows kept", r.text[:3000])
r = marie.form(f"/cases/{cid}/forms/situation",
               base + [("member[2].member-name", "Dr Peeters"), ("member[2].member-kind", "formal"),
                       ("member[2].member-role", "GP"), ("_action", "final")])
subs = marie.api("GET", f"/cases/{cid}/submissions?form=situation").json()
t.check(r.status in (302, 303) and len(subs[0]["data"].get("member", [])) == 2,
        "two rows stored", subs and subs[0]["data"])

# ---- dates day/month/year, nested repeats: add and remove rows ----
page = marie.request("GET", f"/cases/{cid}/forms/household")
t.check(page.status == 200 and 'name="visit"' in page.text and 'type="date"' not in page.text
        and 'placeholder="jj/mm/aaaa"' in page.text and 'name="_date" value="visit"' in page.text,
        "a date field is a day/month/year text field (not the browser's locale date)",
        page.text[:2000])
t.check('value="addrow:person"' in page.text and 'value="addrow:person[1].contact"' in page.text
        and 'value="delrow:person[1]"' in page.text,
        "a nested repeat group has its own 'add a row' and each row a 'remove'")
hh = [("visit", "5/3/2026"), ("_date", "visit"), ("person[1].name", "Anne"),
      ("person[1].contact[1].when", "01/02/2026"), ("_date", "person[1].contact[1].when"),
      ("person[1].contact[1].what", "appel")]
r = marie.form(f"/cases/{cid}/forms/household", hh + [("_action", "addrow:person[1].contact")])
t.check(r.status == 200 and 'name="person[1].contact[2].what"' in r.text
        and 'value="Anne"' in r.text and 'value="01/02/2026"' in r.text
        and 'value="05/03/2026"' in r.text,
        "a row added inside a row: answers kept, dates shown day/month/year", r.text[:500])
r = marie.form(f"/cases/{cid}/forms/household",
               hh + [("person[2].name", "Paul"), ("_action", "delrow:person[1]")])
t.check(r.status == 200 and 'value="Paul"' in r.text and 'value="Anne"' not in r.text
        and 'name="person[2].name"' not in r.text, "removing row 1 renumbers the others",
        r.text[:500])
r = marie.form(f"/cases/{cid}/forms/household",
               [("visit", "31/02/2026"), ("_date", "visit"), ("person[1].name", ""),
                ("person[1].contact[1].what", "appel"), ("_action", "final")])
m = re.search(r'id="field-visit".*?</div>', r.text, re.S)
m2 = re.search(r'id="field-person-1-name".*?</div>', r.text, re.S)
t.check(r.status == 422 and m and "jour/mois/année" in m.group(0) and 'value="31/02/2026"' in m.group(0),
        "an impossible date: the error next to the field, the text kept", r.text[:3000])
t.check(m2 and "fr-error" in m2.group(0), "…and the other problems at the same time")
t.check(not marie.api("GET", f"/cases/{cid}/submissions?form=household").json(),
        "nothing is saved while a date is wrong")
r = marie.form(f"/cases/{cid}/forms/household", hh + [("_action", "final")])
subs = marie.api("GET", f"/cases/{cid}/submissions?form=household").json()
t.check(r.status in (302, 303) and subs and subs[0]["data"]["visit"] == "2026-03-05"
        and subs[0]["data"]["person"][0]["contact"][0]["when"] == "2026-02-01",
        "dates typed day/month/year are stored as ISO, nested rows included",
        subs and subs[0]["data"])
r = marie.form(f"/cases/{cid}/forms/household",
               [("visit", "2026-03-05"), ("person[1].name", "Anne"), ("_action", "final")])
t.check(r.status in (302, 303), "a client that sends ISO dates (no _date marker) still works",
        r.status)
r = marie.form(f"/cases/{cid}/forms/household",
               hh + [("has-pets", "false"), ("pets", "un chat"), ("_action", "final")])
subs = marie.api("GET", f"/cases/{cid}/submissions?form=household").json()
t.check(r.status in (302, 303) and "pets" not in subs[0]["data"],
        "the server still enforces relevance: a hidden field's answer is dropped", subs[0]["data"])
r = marie.form(f"/cases/{cid}/forms/situation",
               base + [("assessed-on", "5/3/2026 14:30"), ("_date", "assessed-on"),
                       ("_action", "final")])
subs = marie.api("GET", f"/cases/{cid}/submissions?form=situation").json()
t.check(r.status in (302, 303) and subs[0]["data"].get("assessed-on") == "2026-03-05T14:30",
        "a date-time typed day/month/year hours:minutes is stored as ISO", subs[0]["data"])
r = marie.request("GET", f"/cases/{cid}/forms/situation?amend={subs[0]['id']}")
t.check('value="05/03/2026 14:30"' in r.text and 'placeholder="jj/mm/aaaa hh:mm"' in r.text,
        "…and shown day/month/year hours:minutes", r.text[:200])
r = marie.form(f"/cases/{cid}/forms/situation",
               base + [("assessed-on", "5/3/2026 25:00"), ("_date", "assessed-on"),
                       ("_action", "final")])
t.check(r.status == 422 and "jour/mois/année" in r.text, "an impossible time is refused", r.status)
r = marie.form(f"/cases/{cid}/forms/household",
               [("visit", "05/03/2026"), ("_date", "visit"), ("person[1].name", "Ghost"),
                ("_action", "final")])
t.check(r.status == 422 and "ghost: nobody is called Ghost here" in r.text
        and "a été enregistré :" in r.text
        and "corrigez les erreurs" not in r.text,
        "a hook's message for no field of the form is shown on the form, and the page does not "
        "send the person to the fields", r.text[:3000])
page = marie.request("GET", f"/cases/{cid}/forms/household")
t.check('data-relevant="has-pets = \'true\'"' in page.text or "data-relevant=\"has-pets = 'true'\"" in page.text,
        "fields carry their relevance for the page's script", "")

# ---- care plan and approval ----
r = marie.form(f"/cases/{cid}/careplan/goals", {"title": "Rester chez soi"})
t.check(r.status in (302, 303), "a goal added on the page", r.status)
goal = marie.api("GET", f"/cases/{cid}/careplan").json()["goals"][0]["id"]
r = marie.form(f"/cases/{cid}/careplan/actions",
               {"title": "Repas à domicile", "goal": str(goal), "responsible": "la fille",
                "due_on": "15/02/2026"})
t.check(r.status in (302, 303), "an action with a responsible and a due date", r.text)
r = marie.request("GET", f"/cases/{cid}")
t.check("Repas à domicile" in r.text and "15/02/2026" in r.text and 'id="needs-approval"' in r.text,
        "the plan on the case page, dates day/month/year, approval needed", r.text)
r = marie.form(f"/cases/{cid}/careplan/approve", {"by": "Jeanne Lambert", "how": "signed"})
t.check(r.status in (302, 303), "the person's approval recorded", r.text)
plan = marie.api("GET", f"/cases/{cid}/careplan").json()
t.check(plan["approval"]["approved_by"] == "Jeanne Lambert" and not plan["needs_approval"],
        "the approval says by whom and the plan is current", plan)
r = marie.api("POST", f"/cases/{cid}/careplan/goals", {"title": "Voir ses amis"})
t.check(r.status == 201, "a goal through the API", r.text)
r = marie.request("GET", f"/cases/{cid}")
t.check('id="needs-approval"' in r.text and "nouvelle approbation" in r.text,
        "after a change the page says the plan needs a new approval")

# ---- referrals ----
r = marie.form(f"/cases/{cid}/referrals", {"specialty": "diététicien", "reason": "perte de poids",
                                           "follow_days": "7"})
t.check(r.status in (302, 303), "a referral on the page", r.text)
refs = marie.api("GET", f"/cases/{cid}/referrals").json()
t.check(len(refs) == 1 and refs[0]["specialty"] == "diététicien", "GET /cases/{id}/referrals", refs)
r = marie.api("GET", "/referrals")
t.check(r.status == 200 and len(r.json()) == 1, "GET /referrals: the unanswered ones", r.text)
r = marie.form(f"/referrals/{refs[0]['id']}/answer", {"answer": "vue le 3/2", "case": str(cid)})
t.check(r.status in (302, 303) and marie.api("GET", "/referrals").json() == [],
        "the answer closes it", r.text)

# a referral sent long ago and never answered is late: marked on the case page
env = dict(site.env, FILROUGE_NOW="2025-01-01")
p = subprocess.run([webtest.FR, "--as", "marie", "referral", "add",
                    str(cid), "kinésithérapeute", "--reason", "chutes", "--follow-up", "P7D"],
                   env=env, capture_output=True, text=True)
t.check(p.returncode == 0, "a referral sent in 2025 (CLI, fixed clock)", p.stderr)
r = marie.request("GET", f"/cases/{cid}")
m = re.search(r'<section class="card" id="referrals">.*?</section>', r.text, re.S)
t.check(m and 'class="late"' in m.group(0) and "EN RETARD" in m.group(0),
        "the late referral is marked on the case page", m and m.group(0))
late = [x for x in marie.api("GET", "/referrals").json() if x["late"]]
t.check(len(late) == 1, "GET /referrals flags it late", late)

# ---- a network member from the case page, with their organisation ----
page = marie.request("GET", f"/cases/{cid}")
t.check('name="organisation"' in page.text and 'name="email"' in page.text,
        "the case page's network form asks for the organisation and email", "")
r = marie.form(f"/cases/{cid}/network", {"kind": "formal", "name": "Dr Dubois", "role": "demandeur",
                                         "organisation": "SSM <Le Méridien>",
                                         "email": "dubois@example.org"})
net = marie.api("GET", f"/cases/{cid}/network").json()
t.check(r.status == 303 and any(m.get("organisation") == "SSM <Le Méridien>" and
                                m.get("email") == "dubois@example.org" for m in net),
        "a member added from the page keeps their organisation and email", (r.status, net))
page = marie.request("GET", f"/cases/{cid}")
t.check("demandeur · SSM &lt;Le Méridien&gt;" in page.text,
        "the network picture shows the role with the organisation (escaped)", "")

# ---- a meeting with a decision ----
r = marie.api("POST", f"/cases/{cid}/network", {"kind": "informal", "name": "Sophie",
                                                 "relation": "fille"})
mid_member = r.json().get("id")
r = marie.request("GET", f"/cases/{cid}/meetings/new")
t.check(r.status == 200 and "Sophie" in r.text and 'name="present"' in r.text,
        "the concertation page proposes the network with presence", r.text[:500])
r = marie.form(f"/cases/{cid}/meetings",
               [("held_on", "20/01/2026"), ("place", "domicile"), ("member", str(mid_member)),
                ("role-" + str(mid_member), "fille"),
                ("other1", "Jeanne Lambert"), ("other1-role", "la personne"), ("minutes", "<b>tous d'accord</b>"),
                ("convergences", "rester à domicile"), ("divergences", "le rythme")])
loc = r.header("Location") or ""
t.check(r.status in (302, 303) and "/meetings/" in loc, "a meeting recorded", r.text)
mid = int(re.search(r"/meetings/(\d+)", loc).group(1)) if "/meetings/" in loc else 0
r = marie.form(f"/meetings/{mid}/decisions", {"title": "Kiné deux fois par semaine",
                                              "responsible": "Sophie", "due_on": "01/03/2026"})
t.check(r.status in (302, 303), "a decision on the meeting page", r.text)
r = marie.request("GET", f"/meetings/{mid}")
t.check(r.status == 200 and "Kiné deux fois par semaine" in r.text and "01/03/2026" in r.text
        and "&lt;b&gt;tous d&#39;accord&lt;/b&gt;" in r.text.replace("&#x27;", "&#39;"),
        "the meeting page: decision with deadline, minutes escaped", r.text)
r = marie.form(f"/cases/{cid}/careplan/actions", {"title": "Courses", "member": str(mid_member)})
plan = marie.api("GET", f"/cases/{cid}/careplan").json()
t.check(r.status in (302, 303) and any(a["title"] == "Courses" and a["responsible"] == "Sophie"
                                       for a in plan["actions"]),
        "an action whose responsible is a member of the network", r.text[:1000])
plan = marie.api("GET", f"/cases/{cid}/careplan").json()
t.check(any(a["origin"] == "meeting" and a["title"] == "Kiné deux fois par semaine"
            for a in plan["actions"]), "the decision is an action of the plan", plan)
r = marie.api("POST", f"/cases/{cid}/meetings", {"held_on": "2026-02-20", "participants": [
    {"name": "Jeanne Lambert", "role": "la personne", "present": True}]})
t.check(r.status == 201, "a second meeting through the API", r.text)
r = marie.api("GET", f"/meetings/{r.json()['id']}")
t.check(r.status == 200 and len(r.json()["to_follow_up"]) == 1,
        "the next meeting lists the earlier decision to follow up", r.text)
r = marie.api("POST", f"/meetings/{mid}/decisions", {"title": "Bilan", "responsible": "Marie",
                                                   "due_on": "2026-04-01"})
t.check(r.status == 201 and r.json().get("action_id"), "a decision through the API", r.text)
r = marie.api("GET", f"/cases/{cid}/meetings")
t.check(r.status == 200 and len(r.json()) == 2, "GET /cases/{id}/meetings", r.text)

# ---- intervision: the case managers' peer case review ----
site.user("thomas", team="Namur")
page = marie.request("GET", "/intervisions/new")
t.check(page.status == 200 and 'name="user" value="marie"' in page.text
        and 'name="user" value="thomas"' in page.text and 'name="user" value="dr-j"' not in page.text,
        "the intervision form lists the case managers, invited and present boxes", page.status)
r = marie.form("/intervisions", [("held_on", "10/03/2026"), ("place", "Namur"),
                                 ("user", "marie"), ("role-marie", "case manager"),
                                 ("present", "marie"), ("user", "thomas"),
                                 ("role-thomas", "case manager"),
                                 ("other1", "Dr <b>Peeters</b>"), ("other1-role", "superviseur"),
                                 ("minutes", "Trois situations revues."),
                                 ("convergences", "Renforcer le réseau")])
loc = r.header("Location") or ""
t.check(r.status == 303 and "/meetings/" in loc, "an intervision is recorded", r.text[:500])
iv = int(re.search(r"/meetings/(\d+)", loc).group(1)) if "/meetings/" in loc else 0
page = marie.request("GET", f"/meetings/{iv}")
t.check(page.status == 200 and "Thomas" in page.text and "absent" in page.text
        and "Dr &lt;b&gt;Peeters&lt;/b&gt;" in page.text and "Trois situations revues." in page.text
        and 'name="case"' in page.text,
        "the intervision page: participants with presence, minutes, a decision form by case",
        page.text[:3000])
t.check(f'<option value="{cid}">' in page.text and 'list="d-cases"' in page.text,
        "the decision's case is chosen among the open cases (number, name, workflow)",
        page.text[-3000:])
r = marie.form(f"/intervisions/{iv}/decisions", {"case": str(cid), "title": "Revoir le plan",
                                                 "responsible": "Marie", "due_on": "31/03/2026"})
t.check(r.status == 303, "a decision of the intervision on a reviewed case", r.text[:500])
page = marie.request("GET", f"/meetings/{iv}")
t.check(f'href="/cases/{cid}"' in page.text and "Revoir le plan" in page.text
        and "31/03/2026" in page.text, "the decision shows with its case and deadline")
acts = marie.api("GET", f"/cases/{cid}/careplan").json()
t.check(any(a["title"] == "Revoir le plan" and a["origin"] == "meeting"
            for g in acts["goals"] for a in g.get("actions", [])) or "Revoir le plan" in str(acts),
        "the decision is an action of the case's plan", acts)
r = marie.form(f"/intervisions/{iv}/decisions", {"case": "", "title": "x", "responsible": "Marie"})
t.check(r.status == 422 and "numéro du dossier" in r.text and 'value="x"' in r.text,
        "a decision without a case comes back saying what to do, the title kept", r.status)
r = marie.form(f"/intervisions/{mid}/decisions", {"case": str(cid), "title": "x",
                                                  "responsible": "Marie"})
t.check(r.status == 422 and "concertation" in r.text,
        "a concertation takes no intervision decision", r.status)
page = marie.request("GET", "/intervisions")
t.check(page.status == 200 and f'href="/meetings/{iv}"' in page.text and "10/03/2026" in page.text,
        "the intervisions list", page.status)
r = marie.api("POST", "/intervisions", {"held_on": "14/04/2026", "participants": [
    {"user": "marie", "role": "case manager"}, {"name": "Anne", "role": "psychologue",
                                                 "present": False}]})
t.check(r.status == 201, "an intervision through the API", r.text)
iv2 = r.json().get("id")
r = marie.api("POST", f"/intervisions/{iv2}/decisions", {"case_id": cid, "title": "Appeler le MG",
                                                        "responsible": "Marie",
                                                        "due_on": "2026-04-20"})
t.check(r.status == 201 and r.json().get("action_id"), "a decision through the API", r.text)
r = marie.api("GET", "/intervisions")
t.check(r.status == 200 and [x["id"] for x in r.json()][:2] == [iv2, iv],
        "GET /intervisions, newest first", r.text)
r = marie.api("GET", f"/meetings/{iv2}")
t.check(r.status == 200 and r.json()["decisions"][0]["case_id"] == cid,
        "the intervision's decisions name their case", r.text)
t.check(any(x["title"] == "Revoir le plan" and x["case_id"] == cid
            for x in r.json()["to_follow_up"]),
        "the next intervision lists the earlier intervision's open decisions to follow up",
        r.text)
page = marie.request("GET", f"/meetings/{iv2}")
t.check('id="follow-up"' in page.text and "Revoir le plan" in page.text,
        "…on its page too", page.status)

# ---- access ----
dr = Client(srv)
dr.login("dr-j")
for path in ["/intervisions", f"/meetings/{iv}"]:
    r = dr.request("GET", path)
    t.check(r.status == 403, f"a provider does not read intervisions: {path}", r.status)
r = dr.api("GET", "/intervisions")
t.check(r.status == 403, "… nor through the API", r.text)
r = dr.form("/intervisions", {"held_on": "10/03/2026"})
t.check(r.status == 403, "… nor records them", r.status)
for path in [f"/cases/{cid}/forms/efs", f"/meetings/{mid}"]:
    r = dr.request("GET", path)
    t.check(r.status == 403 and "Lambert" not in r.text,
            f"a provider without a care relationship is refused on {path}", r.status)
for path in [f"/cases/{cid}/submissions", f"/cases/{cid}/careplan", f"/meetings/{mid}"]:
    r = dr.api("GET", path)
    t.check(r.status == 403, f"… and on the API {path}", r.text)
r = dr.api("POST", f"/cases/{cid}/submissions", {"form": "efs", "data": efs})
t.check(r.status == 403, "… and may not submit", r.text)
audit = site.fr("audit", "show", "--limit", "200", check=False).stdout
t.check("denied" in audit, "the refusals are audited", audit[-500:])

t.check(srv.stop() == 0, "the server stops cleanly (no sanitizer report)")
t.finish()
