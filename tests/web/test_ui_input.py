"""The pages' own forms under bad input, as a case manager types it on the
move: a refused form comes back (4xx, never a bare error page) with each
problem next to its field in the user's language, saying what to do, and
everything else that was typed kept; dates are taken day/month/year as
people write them (5/3/1941 too)."""
import json
import re

from webtest import Checks, Client, Server, Site, focused, form_open, problem_of, value_at, value_of

t = Checks()
site = Site()
site.user("marie", team="Namur")
site.user("emma", language="en")
srv = Server(site)
marie = Client(srv)
marie.login("marie")


# -- registering a person --------------------------------------------------
person = {"family_name": "Durand", "given_names": "Paul", "birth_date": "31/02/1950",
          "address": "Rue Haute 3", "postal_code": "4000", "city": "Liège",
          "phone": "04 000 00 00", "sex": "male"}
r = marie.form("/patients", person)
page = r.text
t.check(r.status == 422, "a birth date that is no date refuses the registration (422)", r.status)
t.check("jour/mois/année" in (problem_of(page, "f-birth_date") or ""),
        "the problem is under the birth date, saying how to write it", page[-2500:])
t.check(all(value_of(page, k) == v for k, v in person.items() if k != "sex")
        and '<option value="male" selected>' in page,
        "everything typed is kept, the sex chosen too",
        {k: value_of(page, k) for k in person})
t.check('aria-invalid="true"' in page and "autofocus" in page.split('id="f-birth_date"')[1][:300],
        "the field is marked invalid and takes the focus")
t.check(site.sql("SELECT count(*) FROM patients")[0][0] == 0, "nothing is registered")

r = marie.form("/patients", dict(person, birth_date="12/03/2099"))
t.check(r.status == 422 and "futur" in (problem_of(r.text, "f-birth_date") or ""),
        "a birth date in the future is refused next to the field", problem_of(r.text, "f-birth_date"))
r = marie.form("/patients", dict(person, birth_date="12/03/1850"))
t.check(r.status == 422 and "130 ans" in (problem_of(r.text, "f-birth_date") or ""),
        "a birth date over 130 years ago asks to check the year", problem_of(r.text, "f-birth_date"))
r = marie.form("/patients", dict(person, given_names="   ", family_name="X" * 201,
                                 birth_date="1/2/1950"))
t.check(r.status == 422 and "obligatoire" in (problem_of(r.text, "f-given_names") or "")
        and "200" in (problem_of(r.text, "f-family_name") or "")
        and problem_of(r.text, "f-birth_date") is None,
        "blank given names and a name too long are both said at once, each at its field",
        r.text[-2500:])
r = marie.form("/patients", dict(person, birth_date="1/2/1950"))
t.check(r.status in (302, 303) and site.sql("SELECT birth_date FROM patients") == [("1950-02-01",)],
        "5/3/1941-style dates are taken (as the form pages take them)",
        (r.status, site.sql("SELECT birth_date FROM patients")))

emma = Client(srv)
emma.login("emma")
r = emma.form("/patients", dict(person, birth_date="2099-01-01"))
t.check(r.status == 422 and "future" in (problem_of(r.text, "f-birth_date") or "")
        and "<html lang=\"en\"" in r.text,
        "in the user's language (English)", problem_of(r.text, "f-birth_date"))

# -- the case page's small forms: a refusal says which field, that nothing
# was saved, and leads back to the form --------------------------------------
pid = marie.api("POST", "/patients", {"family_name": "Lambert", "given_names": "Jeanne",
                                      "birth_date": "12/03/1941"}).json()["id"]
cid = marie.api("POST", "/cases", {"patient_id": pid, "workflow": "frailty",
                                   "team": "Namur"}).json()["id"]


def back_link(page):
    m = re.search(r'<a class="back" data-back href="([^"]*)">([^<]*)</a>', page)
    return m.groups() if m else (None, None)


r = marie.form(f"/cases/{cid}/fire", {"event": "screen", "note": "appel de la fille",
                                       "on": "01/01/2099"})
t.check(r.status == 422 and "dans le futur" in (problem_of(r.text, "f-on") or "")
        and "vide pour aujourd&#39;hui" in r.text and "2099-01-01" not in r.text,
        "an effective date in the future is said under the date, in French, without ISO dates",
        problem_of(r.text, "f-on"))
t.check(value_of(r.text, "note") == "appel de la fille" and value_of(r.text, "on") == "01/01/2099",
        "the case page comes back with the note and the date as typed",
        (value_of(r.text, "note"), value_of(r.text, "on")))
r = marie.form(f"/cases/{cid}/fire", {"event": "screen", "on": "32/13/2026"})
t.check(r.status == 422 and "jour/mois/année" in (problem_of(r.text, "f-on") or ""),
        "a wrong effective date is said under its field", problem_of(r.text, "f-on"))
r = marie.form(f"/cases/{cid}/fire", {"event": "assess", "note": "bilan fait"})
t.check(r.status == 422 and re.search(r'<p class="fr-error" role="alert">[^<]*assess', r.text)
        and value_of(r.text, "note") == "bilan fait",
        "an event the workflow refuses is said above the buttons, the note kept",
        re.findall(r'<p class="fr-error" role="alert">[^<]*', r.text))
r = marie.form(f"/cases/{cid}/careplan/actions", {"title": "Téléalarme", "due_on": "31/04/2027",
                                                  "responsible": "Sophie"})
t.check(r.status == 422 and "jour/mois/année" in (problem_of(r.text, "a-due") or "")
        and value_of(r.text, "due_on") == "31/04/2027",
        "a care plan action's wrong due date is said under it, as typed",
        problem_of(r.text, "a-due"))
r = marie.form(f"/cases/{cid}/careplan/actions", {"title": "Téléalarme", "due_on": "5/1/2027"})
t.check(r.status == 422 and "Dites qui s'en charge" in (problem_of(r.text, "a-responsible") or "")
        and "--user" not in r.text,
        "an action without anyone responsible asks who, in the page's words (not the CLI's)",
        problem_of(r.text, "a-responsible"))
r = marie.form(f"/cases/{cid}/careplan/actions", {"title": "Téléalarme", "due_on": "5/1/2027",
                                                  "responsible": "Sophie"})
t.check(r.status in (302, 303), "a due date typed 5/1/2027 is taken", r.text[-600:])
r = emma.form(f"/cases/{cid}/meetings", {"held_on": "2026-02-30", "minutes": "notes"})
t.check(r.status == 403 and "Nothing was saved" in r.text
        and back_link(r.text)[0] == f"/cases/{cid}",
        "a form on a case the user may not change is still an error page (in English for an "
        "English-speaking user) that leads back to the case", r.text[-1200:])

# -- the case page's small forms come back as the case page, the form open,
# each problem under its field, what was typed kept (422) ---------------------


def members():
    return site.sql(f"SELECT count(*) FROM network_members WHERE case_id = {cid}")[0][0]


# 1. a network member: every problem at once, under its field
relative = {"kind": "informal", "name": "   ", "relation": "", "organisation": "Voisins <asbl>",
            "phone": "abc", "email": "sophie@", "user": "", "since": "31/02/2026", "until": ""}
r = marie.form(f"/cases/{cid}/network", relative)
page = r.text
t.check(r.status == 422 and f"<title>Lambert Jeanne" in page and form_open(page, "add-network"),
        "a refused network member comes back as the case page (422), the form open",
        (r.status, page[:300]))
t.check("obligatoire" in (problem_of(page, "f-name") or "")
        and "lien" in (problem_of(page, "f-relation") or "")
        and "numéro de téléphone" in (problem_of(page, "f-phone") or "")
        and "nom@exemple.be" in (problem_of(page, "f-email") or "")
        and "jour/mois/année" in (problem_of(page, "f-since") or ""),
        "a blank name, a relative without relation, a bad phone, e-mail and date: all said at "
        "once, each under its field, in French",
        {k: problem_of(page, "f-" + k) for k in relative})
t.check(value_of(page, "organisation") == "Voisins <asbl>" and value_of(page, "phone") == "abc"
        and value_of(page, "email") == "sophie@" and value_of(page, "since") == "31/02/2026"
        and '<option value="informal" selected>' in page,
        "what was typed is kept (escaped), the kind chosen too",
        {k: value_of(page, k) for k in relative})
t.check(focused(page) == "f-name" and 'aria-describedby="f-name-problem"' in page,
        "the first problem takes the focus and is tied to its field", focused(page))
t.check(not form_open(page, "add-goal") and value_at(page, "g-title") == ""
        and members() == 0, "the other forms stay closed and empty; nothing is added",
        members())
r = marie.form(f"/cases/{cid}/network", dict(relative, name="Sophie", relation="fille",
                                             phone="0470 12 34 56", email="sophie@example.be",
                                             since="1/3/2026", until="1/2/2026"))
t.check(r.status == 422 and "avant" in (problem_of(r.text, "f-until") or "")
        and problem_of(r.text, "f-since") is None,
        "an end before the start is said under the end", problem_of(r.text, "f-until"))
r = marie.form(f"/cases/{cid}/network", {"kind": "formal", "name": "Dr\u0007 Dubois",
                                         "role": "r" * 201, "organisation": "CHR \u202eNamur"})
t.check(r.status == 422 and "caractère de contrôle" in (problem_of(r.text, "f-name") or "")
        and "200" in (problem_of(r.text, "f-role") or "")
        and "sens de l'écriture" in (problem_of(r.text, "f-organisation") or ""),
        "the kernel's text checks (control character, length, direction) said in French",
        [problem_of(r.text, "f-" + k) for k in ("name", "role", "organisation")])
r = marie.form(f"/cases/{cid}/network", {"kind": "formal", "name": "Dr Dubois", "role": ""})
t.check(r.status == 422 and "rôle" in (problem_of(r.text, "f-role") or ""),
        "a professional without a role is asked for one", problem_of(r.text, "f-role"))
r = marie.form(f"/cases/{cid}/network", {"kind": "formal", "name": "Dr Dubois", "role": "MG",
                                         "user": "nobody"})
t.check(r.status == 422 and "Aucun utilisateur actif" in (problem_of(r.text, "f-user") or "")
        and "filrouge user list" not in r.text,
        "a login that does not exist (the kernel's refusal) under the user field, not the CLI's "
        "words", problem_of(r.text, "f-user"))
r = marie.form(f"/cases/{cid}/network", {"kind": "formal", "name": "Dr Dubois", "role": "",
                                         "user": "nobody"})
t.check(r.status == 422 and "Aucun utilisateur actif" in (problem_of(r.text, "f-user") or "")
        and "rôle" in (problem_of(r.text, "f-role") or ""),
        "an unknown login is said in the first round, with the other problems",
        [problem_of(r.text, "f-user"), problem_of(r.text, "f-role")])
r = marie.form(f"/cases/{cid}/network", {"kind": "cousin", "name": "Paul", "relation": "ami"})
t.check(r.status == 422 and "must be formal" in (problem_of(r.text, "f-kind") or ""),
        "a kernel message of unknown shape is shown under its field in the kernel's words",
        problem_of(r.text, "f-kind"))
r = marie.form(f"/cases/{cid}/network", dict(relative, name="Sophie", relation="fille",
                                             phone="0470 12 34 56", email="sophie@example.be",
                                             since="1/3/2026", until=""))
t.check(r.status == 303 and site.sql(f"SELECT name, since FROM network_members WHERE case_id = "
                                     f"{cid}") == [("Sophie", "2026-03-01")],
        "corrected, the member is added with the date typed day/month/year",
        site.sql(f"SELECT name, since FROM network_members WHERE case_id = {cid}"))

# 2. the care plan: a goal, an action
r = marie.form(f"/cases/{cid}/careplan/goals", {"title": "   "})
t.check(r.status == 422 and form_open(r.text, "add-goal") and focused(r.text) == "g-title"
        and "obligatoire" in (problem_of(r.text, "g-title") or ""),
        "a goal without a title comes back open, the problem under the title", focused(r.text))
r = marie.form(f"/cases/{cid}/careplan/goals", {"title": "Rester chez soi"})
t.check(r.status == 303, "a goal added", r.status)
goal = site.sql(f"SELECT id FROM care_goals WHERE case_id = {cid}")[0][0]
mid = site.sql(f"SELECT id FROM network_members WHERE case_id = {cid}")[0][0]
action = {"title": "", "goal": str(goal), "member": str(mid), "due_on": "30/02/2027"}
r = marie.form(f"/cases/{cid}/careplan/actions", action)
page = r.text
t.check(r.status == 422 and form_open(page, "add-action")
        and "obligatoire" in (problem_of(page, "a-title") or "")
        and "jour/mois/année" in (problem_of(page, "a-due") or "")
        and f'<option value="{goal}" selected>' in page and f'<option value="{mid}" selected>' in page
        and value_of(page, "due_on") == "30/02/2027" and focused(page) == "a-title",
        "an action's problems together, the goal and network member chosen kept",
        [problem_of(page, "a-title"), problem_of(page, "a-due")])
r = marie.form(f"/cases/{cid}/careplan/actions", {"title": "Courses", "user": "nobody"})
t.check(r.status == 422 and "Aucun utilisateur actif" in (problem_of(r.text, "a-user") or "")
        and value_at(r.text, "a-title") == "Courses" and value_at(r.text, "g-title") == "",
        "an unknown responsible user is said under the field", problem_of(r.text, "a-user"))

# 3. a referral
referral = {"specialty": " ", "to": "Dr Peeters", "reason": "perte de poids, 5 kg en 2 mois",
            "follow_days": "0"}
r = marie.form(f"/cases/{cid}/referrals", referral)
page = r.text
t.check(r.status == 422 and form_open(page, "add-referral")
        and "obligatoire" in (problem_of(page, "r-specialty") or "")
        and "entre 1 et 365" in (problem_of(page, "r-follow") or "")
        and value_of(page, "to") == "Dr Peeters" and value_of(page, "follow_days") == "0"
        and value_of(page, "reason") == referral["reason"],
        "a referral without specialty and with 0 days: both said, the rest kept",
        [problem_of(page, "r-specialty"), problem_of(page, "r-follow")])
t.check(site.sql(f"SELECT count(*) FROM referrals WHERE case_id = {cid}")[0][0] == 0,
        "no referral is sent")
emma_pid = emma.api("POST", "/patients", {"family_name": "Smith", "given_names": "Ann"}).json()["id"]
emma_cid = emma.api("POST", "/cases", {"patient_id": emma_pid, "workflow": "frailty"}).json()["id"]
r = emma.form(f"/cases/{emma_cid}/referrals", {"specialty": "dietitian", "reason": ""})
t.check(r.status == 422 and "<html lang=\"en\"" in r.text
        and "required" in (problem_of(r.text, "r-reason") or ""),
        "in English for an English-speaking user", problem_of(r.text, "r-reason"))
r = emma.form(f"/cases/{emma_cid}/network", {"kind": "informal", "name": "Tom", "relation": "son",
                                             "phone": "call me"})
t.check(r.status == 422 and "not a phone number" in (problem_of(r.text, "f-phone") or "")
        and "'call me'" not in (problem_of(r.text, "f-phone") or ""),
        "the phone's problem in the catalogue's English, not the kernel's",
        problem_of(r.text, "f-phone"))

# 4. the settings
r = marie.form("/settings/password", {"password": "court"})
t.check(r.status == 422 and "8 caractères" in (problem_of(r.text, "f-pw") or "")
        and "court" not in re.search(r'<input id="f-pw"[^>]*>', r.text).group(0)
        and focused(r.text) == "f-pw",
        "a password too short is said under it (and not sent back into the page)",
        problem_of(r.text, "f-pw"))
r = marie.form("/settings", {"language": "xx"})
t.check(r.status == 422 and "proposée" in (problem_of(r.text, "f-lang") or ""),
        "a language that is not offered is said under the choice", problem_of(r.text, "f-lang"))

# -- small things seen on the way --------------------------------------------
page = marie.request("GET", "/caseload").text
t.check("<p>1 dossier ouvert</p>" in page, "one open case is said in the singular",
        re.findall(r"<p>\d+ [^<]*</p>", page))
t.check('<link rel="icon" href="data:,">' in page,
        "pages name an empty icon: browsers do not ask for /favicon.ico (a 404 each page)")
marie.form(f"/cases/{cid}/referrals", {"specialty": "diététicienne", "reason": "perte de poids"})
page = marie.request("GET", f"/cases/{cid}").text
t.check("<strong>Ouverture du dossier</strong> → Signalement" in page
        and "<strong>open</strong>" not in page,
        "the timeline names the case's opening in French, not by its code 'open'",
        re.findall(r'<ol class="timeline">.{0,300}', page))
t.check('class="inline answer"' in page,
        "a referral's answer field is on a line of its own, not glued to the dates")
t.check("<dd>Case management des personnes âgées fragiles <small>(frailty v" in page,
        "the case names its workflow by its title in French, its id and version aside",
        re.findall(r"<dd>Case management.{0,80}", page))
page = marie.request("GET", f"/patients/{pid}").text
t.check(re.search(r'<option value="frailty">Case management des personnes âgées fragiles \(v\d+\)'
                  r"</option>", page),
        "the workflows to open a case with are offered by their titles",
        re.findall(r'<option value="frailty">[^<]*', page))

site.user("root", role="admin")
root = Client(srv)
root.login("root")
page = root.request("GET", "/admin").text
t.check('<th scope="col">Rôle</th>' in page and '<th scope="col">Identifiant</th>' in page
        and '<option value="provider">intervenant·e (accès par le réseau)</option>' in page
        and ">case_manager<" not in page,
        "the administration's users: column names and roles in French, not codes",
        re.findall(r"<th[^>]*>[^<]*</th>", page)[:12])

# -- a case registered after the fact: a step before the opening is said
# under the date; the opening is corrected on the case page --------------------
import datetime
cid2 = marie.api("POST", "/cases", {"patient_id": pid, "workflow": "frailty",
                                    "team": "Namur"}).json()["id"]
opened = datetime.date.fromisoformat(site.sql(f"SELECT opened_on FROM cases WHERE id = {cid2}")[0][0])
dmy = lambda d: d.strftime("%d/%m/%Y")
earlier = opened - datetime.timedelta(days=3)
r = marie.form(f"/cases/{cid2}/fire", {"event": "screen", "note": "vu la semaine passée",
                                        "on": dmy(earlier)})
t.check(r.status == 422 and f"avant l'ouverture du dossier ({dmy(opened)})"
        in (problem_of(r.text, "f-on") or "") and "corrigez d'abord" in problem_of(r.text, "f-on")
        and value_of(r.text, "note") == "vu la semaine passée",
        "a step before the opening is said under the date, in French, with the opening's date",
        problem_of(r.text, "f-on"))
page = marie.request("GET", f"/cases/{cid2}").text
t.check('action="/cases/%d/opened-on"' % cid2 in page and "Corriger la date d&#39;ouverture" in page,
        "the case page offers to correct the opening date", page[:0])
r = marie.form(f"/cases/{cid2}/opened-on", {"opened_on": "01/01/2099", "opening_reason": " "})
t.check(r.status == 422 and "futur" in (problem_of(r.text, "o-on") or "")
        and "obligatoire" in (problem_of(r.text, "o-reason") or ""),
        "a correction into the future without a reason: both said, each under its field",
        (problem_of(r.text, "o-on"), problem_of(r.text, "o-reason")))
r = marie.form(f"/cases/{cid2}/opened-on", {"opened_on": "01/01/1940", "opening_reason": "saisi après coup"})
t.check(r.status == 422 and "avant la naissance de la personne (12/03/1941)"
        in (problem_of(r.text, "o-on") or "") and value_of(r.text, "opening_reason") == "saisi après coup",
        "an opening before the birth is said under the date, the reason kept",
        problem_of(r.text, "o-on"))
r = marie.form(f"/cases/{cid2}/opened-on", {"opened_on": dmy(earlier), "opening_reason": "saisi après coup"})
t.check(r.status in (302, 303) and site.sql(f"SELECT opened_on FROM cases WHERE id = {cid2}")
        == [(earlier.isoformat(),)], "the opening is corrected", (r.status, r.text[-800:]))
r = marie.form(f"/cases/{cid2}/fire", {"event": "screen", "on": dmy(earlier)})
t.check(r.status in (302, 303), "then the step is taken on its own day", (r.status, r.text[-800:]))
r = marie.form(f"/cases/{cid2}/opened-on", {"opened_on": dmy(opened), "opening_reason": "erreur"})
t.check(r.status == 422 and f"date du {dmy(earlier)}" in (problem_of(r.text, "o-on") or ""),
        "the opening cannot move past the first step", problem_of(r.text, "o-on"))
r = marie.form(f"/cases/{cid2}/careplan/actions", {"title": "Téléalarme", "due_on": "01/01/1900",
                                                    "responsible": "Sophie"})
t.check(r.status == 422 and f"avant l'ouverture du dossier ({dmy(earlier)})"
        in (problem_of(r.text, "a-due") or ""),
        "an action due before the case's opening is said under its due date",
        problem_of(r.text, "a-due"))
r = marie.form(f"/cases/{cid2}/careplan/actions", {"title": "Téléalarme", "due_on": "01/01/9999",
                                                    "responsible": "Sophie"})
t.check(r.status == 422 and "trop loin dans l'avenir (plus de 10 ans)"
        in (problem_of(r.text, "a-due") or ""),
        "an action due in 9999 asks to check the year", problem_of(r.text, "a-due"))
r = marie.api("POST", "/tasks", {"case_id": cid2, "title": "Rappel", "due_on": "01/01/9999"})
t.check(r.status in (400, 422) and "more than 10 years ahead" in r.text,
        "the API refuses a task due in 9999", (r.status, r.text))
r = emma.api("POST", f"/cases/{cid2}/opened-on", {"opened_on": dmy(earlier), "reason": "x"})
t.check(r.status == 403, "the API correction checks access like any write", r.status)
r = marie.api("POST", f"/cases/{cid2}/opened-on", {"opened_on": dmy(opened)})
t.check(r.status == 400 and "reason" in r.text, "the API asks for the reason", r.text)

# -- steps in the order they happened; the last one's date corrected at it in
# the timeline, each refusal under its field -----------------------------------
day = datetime.timedelta(days=1)
later = earlier + day
page = marie.request("GET", f"/cases/{cid2}").text
t.check('action="/cases/%d/last-step-on"' % cid2 in page and "Corriger la date de cette étape" in page,
        "the timeline's last step offers to correct its date", page[:0])
r = marie.form(f"/cases/{cid2}/last-step-on", {"step_on": "01/01/2099", "step_reason": " "})
t.check(r.status == 422 and "futur" in (problem_of(r.text, "s-on") or "")
        and "obligatoire" in (problem_of(r.text, "s-reason") or ""),
        "a step corrected into the future without a reason: both said, each under its field",
        (problem_of(r.text, "s-on"), problem_of(r.text, "s-reason")))
r = marie.form(f"/cases/{cid2}/last-step-on", {"step_on": dmy(earlier - day), "step_reason": "date mal tapée"})
t.check(r.status == 422 and f"avant l'ouverture du dossier ({dmy(earlier)})" in (problem_of(r.text, "s-on") or "")
        and value_of(r.text, "step_reason") == "date mal tapée",
        "a step corrected to before the opening is said under its date, the reason kept",
        problem_of(r.text, "s-on"))
r = marie.form(f"/cases/{cid2}/last-step-on", {"step_on": dmy(later), "step_reason": "date mal tapée"})
t.check(r.status in (302, 303) and site.sql(f"SELECT effective_on FROM transitions WHERE case_id = {cid2}"
                                            " AND event = 'screen'") == [(later.isoformat(),)],
        "the last step's date is corrected", (r.status, r.text[-800:]))
moved = len(json.loads(site.sql(f"SELECT detail FROM audit WHERE object_type = 'case' AND object_id"
                                f" = '{cid2}' AND action = 'update' ORDER BY id DESC")[0][0])
            ["tasks_moved"])
said = {0: "aucune tâche n'a été déplacée", 1: "1 tâche a été déplacée avec elle"}.get(
    moved, f"{moved} tâches ont été déplacées avec elle")
page = marie.request("GET", r.header("Location") or "/").text.replace("&#39;", "'")
t.check(f"Date corrigée ; {said}." in page,
        "the case page says how many of the step's tasks moved with it, as the audit does",
        (moved, r.header("Location")))
r = marie.form(f"/cases/{cid2}/fire", {"event": "close", "on": dmy(earlier)})
t.check(r.status == 422 and f"avant la dernière étape du dossier ({dmy(later)})" in (problem_of(r.text, "f-on") or "")
        and "corrigez-la d'abord" in problem_of(r.text, "f-on"),
        "a step dated before the last one is said under the date, with that step's date",
        problem_of(r.text, "f-on"))
r = marie.api("POST", f"/cases/{cid2}/meetings", {"kind": "concertation", "held_on": dmy(later + day)})
t.check(r.status in (200, 201), "a meeting held since the step", (r.status, r.text))
r = marie.form(f"/cases/{cid2}/last-step-on", {"step_on": dmy(later + 2 * day), "step_reason": "erreur"})
t.check(r.status == 422 and f"date du {dmy(later + day)}" in (problem_of(r.text, "s-on") or "")
        and "enregistré depuis" in problem_of(r.text, "s-on"),
        "the step cannot move past what was recorded since", problem_of(r.text, "s-on"))
r = marie.api("POST", f"/cases/{cid2}/last-step-on", {"on": dmy(later), "reason": "vérifié"})
t.check(r.status == 200 and r.json().get("tasks_moved") == 0,
        "the API corrects it too and says how many tasks followed", (r.status, r.text))
r = emma.api("POST", f"/cases/{cid2}/last-step-on", {"on": dmy(later), "reason": "x"})
t.check(r.status == 403, "the API's step correction checks access like any write", r.status)
r = marie.api("POST", f"/cases/{cid2}/last-step-on", {"on": dmy(later)})
t.check(r.status == 400 and "reason" in r.text, "the API asks for the step's reason", r.text)
r = marie.api("POST", f"/cases/{cid2}/dates", {"name": "review", "date": dmy(later + 30 * day)})
t.check(r.status == 200 and r.json().get("tasks_moved") == 0,
        "a named date set by the API says how many tasks moved (none anchored on it)",
        (r.status, r.text))
r = marie.form(f"/cases/{cid2}/fire", {"event": "not-eligible", "on": dmy(later + day)})
t.check(r.status in (302, 303), "a later step, on its day", (r.status, r.text[-800:]))
r = marie.form(f"/cases/{cid2}/last-step-on", {"step_on": dmy(earlier), "step_reason": "erreur"})
t.check(r.status == 422 and f"avant l'étape précédente ({dmy(later)})" in (problem_of(r.text, "s-on") or ""),
        "a step corrected to before the one before it is said under its date",
        problem_of(r.text, "s-on"))

# -- older data: a migration is named as one, not as a step; steps recorded out
# of order before the check bound a new step, said under the date ------------
site.sql("INSERT INTO transitions (case_id, event, from_state, to_state, workflow_version,"
         f" effective_on, recorded_at, actor, note, migration) SELECT id, 'migrate', state, state,"
         f" workflow_version, '{opened.isoformat()}', '2026-01-01T00:00:00Z', 'admin',"
         f" 'from version 1 to version 2', 1 FROM cases WHERE id = {cid2}")
site.sql(f"UPDATE transitions SET effective_on = '{opened.isoformat()}' WHERE case_id = {cid2}"
         " AND event = 'screen'")
page = marie.request("GET", f"/cases/{cid2}").text
t.check("Passage à une nouvelle version du workflow" in page
        and 'action="/cases/%d/last-step-on"' % cid2 in page,
        "a migration is named as such in the timeline, and the last step keeps its correction",
        page[:0])
r = marie.form(f"/cases/{cid2}/fire", {"event": "reopen", "on": dmy(later + day)})
t.check(r.status == 422 and f"avant l'étape la plus récente du dossier ({dmy(opened)})"
        in (problem_of(r.text, "f-on") or ""),
        "a step dated before a step recorded out of order is said under the date, with its date",
        problem_of(r.text, "f-on"))

# -- the public referral form ------------------------------------------------
anon = Client(srv)
intake = {"referrer_name": "Sophie Lambert", "referrer_contact": "0470 00 00 00",
          "referrer_relation": "fille", "person_name": "Jozef Peeters",
          "person_birth_date": "31/02/1937", "person_city": "Jambes",
          "situation": "Vit seul, chutes répétées, refuse l'aide."}
r = anon.form("/refer", intake, csrf=False)
page = r.text
t.check(r.status == 400 and "jour/mois/année" in (problem_of(page, "f-person_birth_date") or ""),
        "a referral with a wrong birth date comes back with the problem at the field", page[-2000:])
t.check(all(value_of(page, k) == v for k, v in intake.items() if k != "situation")
        and ">Vit seul, chutes répétées, refuse l&#39;aide.</textarea>" in page,
        "everything the person wrote is kept, the situation too", page[-2000:])
r = anon.form("/refer", dict(intake, person_birth_date="2/7/1937", situation="   "), csrf=False)
t.check(r.status == 400 and "obligatoire" in (problem_of(r.text, "f-situation") or ""),
        "a situation of spaces only is asked for again", r.text[-1500:])
r = anon.form("/refer", dict(intake, person_birth_date="2/7/1937"), csrf=False)
t.check(r.status == 201, "corrected, the referral is received", r.status)

t.finish()
