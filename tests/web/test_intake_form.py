"""A plugin's request form on the public intake page: the youth network's
online request (/refer?form=youth-request) asks the intake's questions and
the form's own, refuses wrong answers next to their fields (keeping what
was typed), lands in the triage queue with its answers, and a form that is
not marked intake="true" is not offered; accepted, its answers become the
case's submission from the triage page (once). A guard's refusal through
the API is written in the acting user's language (French, English)."""
import html
import json

from webtest import Checks, Client, Server, Site

t = Checks()
site = Site(plugins=("instruments", "youth"))
site.user("nadia")
srv = Server(site)
anon = Client(srv)

r = anon.request("GET", "/refer?form=youth-request")
t.check(r.status == 200 and 'name="_referrer_name"' in r.text and 'name="channel"' in r.text
        and "Rupture ou risque de rupture" in r.text and 'name="_form"' in r.text,
        "the public page asks the intake's questions and the youth request's", r.text[-800:])
t.check(r.text.count("<form") == 1, "one HTML form, posted at once", r.text.count("<form"))
t.check(anon.request("GET", "/refer?form=phq9").status == 404,
        "a form not marked intake=\"true\" is not offered")
t.check(anon.request("GET", "/refer?form=nope").status == 404, "nor an unknown one")

base = [("_form", "youth-request"), ("_referrer_name", "Mme Martin"),
        ("_referrer_contact", "02 000 00 00"), ("_referrer_relation", "école"),
        ("_person_name", "Emma Peeters"), ("_situation", "Décrochage scolaire")]
r = anon.form("/refer", base + [("channel", "online"), ("network-work", "true")], csrf=False)
t.check(r.status == 400 and 'class="fr-error"' in r.text and 'value="Emma Peeters"' in r.text
        and "Décrochage scolaire" in r.text,
        "a missing situation type is refused next to its field, what was typed is kept",
        r.text[-1200:])
r = anon.form("/refer", base + [("channel", "online"), ("network-work", "true"),
                                ("situation", "impasse"), ("situation", "rupture"),
                                ("services", "École Les Tilleuls\nSSM Le Méridien")], csrf=False)
t.check(r.status == 201, "the online request is received", r.status)
out = json.loads(site.fr("--json", "--as", "nadia", "intake", "list").stdout)
got = out[0] if out else {}
t.check(got.get("form_id") == "youth-request"
        and got.get("answers", {}).get("situation") == ["impasse", "rupture"]
        and got.get("person_name") == "Emma Peeters",
        "it waits for triage with its answers", out)
tri = Client(srv)
tri.login("nadia")
page = tri.request("GET", "/triage").text
t.check("Emma Peeters" in page and "SSM Le Méridien" in page,
        "the request is in the triage queue with its answers", page[-600:])
t.check("Impasse (pas de lieu d&#39;aide adapté)" in page.replace("&#x27;", "&#39;")
        and "Type de situation" in page and ">impasse<" not in page,
        "triage shows the questions and the options' labels, not their codes", page[-1500:])

iid = got.get("id")
r = tri.form(f"/triage/{iid}", {"action": "accept"})
t.check(r.status in (302, 303), "accepted: on to registering the person", r.status)
pid = tri.api("POST", "/patients", {"family_name": "Peeters", "given_names": "Emma",
                                    "birth_date": "02/09/2010"}).json()["id"]
cid = tri.api("POST", "/cases", {"patient_id": pid, "workflow": "youth"}).json()["id"]
page = tri.request("GET", "/triage").text
t.check(f'action="/triage/{iid}"' in page and 'name="case_id"' in page,
        "the accepted request waits for its case on the triage page", page[-800:])
r = tri.form(f"/triage/{iid}", {"action": "submit", "case_id": str(cid)})
t.check(r.status in (302, 303) and r.header("Location") == f"/cases/{cid}",
        "its answers go onto the case, then the case's page", (r.status, r.header("Location")))
subs = tri.api("GET", f"/cases/{cid}/submissions").json()
t.check(any(x.get("form_id") == "youth-request" and x.get("status") == "final" for x in subs),
        "the case has the final youth-request", subs)
submissions = site.sql("SELECT count(*) FROM submissions")
r = tri.form(f"/triage/{iid}", {"action": "submit", "case_id": str(cid)})
t.check(r.status == 409 and "<title>Signalements à trier" in r.text
        and "déjà été enregistrées dans un dossier" in r.text,
        "once only: again (another tab), the triage page says so in French (409)",
        (r.status, r.text[-300:]))
anon.form("/refer", base + [("channel", "online"), ("network-work", "true"),
                            ("situation", "rupture"), ("services", "École\nSSM")], csrf=False)
waiting = site.sql("SELECT max(id) FROM intakes")[0][0]
r = tri.form(f"/triage/{waiting}", {"action": "submit", "case_id": str(cid)})
t.check(r.status == 409 and "n'est pas acceptée" in html.unescape(r.text),
        "the answers of a request not accepted (a crafted or stale form): said so (409)",
        (r.status, r.text[-300:]))
t.check(site.sql("SELECT count(*) FROM submissions") == submissions, "nothing written")
r = tri.api("POST", f"/intakes/{iid}/submit", {"case_id": cid})
t.check(r.status == 409, "the API says the same", r.text)

# A guard's refusal is written in the language of the user who fires the event
r = tri.api("POST", f"/cases/{cid}/events", {"event": "accept"})
t.check(r.status >= 400 and "au moins deux services demandeurs" in r.text,
        "Nadia reads the refusal in French", r.text)
site.fr("user", "add", "sam", "--name", "Sam Jones", "--role", "case_manager", "--language", "en")
site.fr("user", "passwd", "sam", stdin="correct-horse\n")
site.fr("case", "assign", str(cid), "sam")
sam = Client(srv)
sam.login("sam")
r = sam.api("POST", f"/cases/{cid}/events", {"event": "accept"})
t.check(r.status >= 400 and "at least two different requesting services" in r.text,
        "Sam, whose language is English, reads it in English", r.text)

t.check(srv.stop() == 0, "the server stops cleanly")

# Once its plugin is disabled, the form is kept (submissions were made
# under it) but no longer offered to the public.
p = site.fr("plugin", "disable", "youth", check=False)
t.check(p.returncode == 0, "the youth plugin is disabled", p.stderr)
srv = Server(site)
anon = Client(srv)
t.check(anon.request("GET", "/refer?form=youth-request").status == 404,
        "a disabled plugin's request form is not offered any more")
r = anon.form("/refer", base + [("channel", "online"), ("situation", "impasse")], csrf=False)
t.check(r.status == 404, "nor accepted when posted", r.status)
t.check(srv.stop() == 0, "the server stops cleanly again")
t.finish()
