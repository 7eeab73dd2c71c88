"""Access criteria of youth clinical case management (Bru-Stars, seed 004).

Guard ``youth-access`` (``guard-ref="py:youth-access"`` on ``accept``): a
request is accepted only with

- at least two DIFFERENT requesting services: active formal members of the
  case's network whose role is "demandeur", counted by organisation (two
  people of one service count once; a member whose period has ended is not
  in the case view, so it does not count);
- a need for clinical network work (the request form youth-request).

The refusal names what is missing, in the acting user's language
(``call.lang``: fr, nl, de, en). Settings (site.xml, <plugin id="youth">):
``min-services`` (default 2).
"""
import xml.etree.ElementTree as ET

import filrouge


def _latest_score(case, form, score):
    value = None
    for f in case.iter("form"):
        if f.get("id") != form or f.get("superseded-by"):
            continue
        value = None
        for s in f.iter("score"):
            if s.get("name") == score and s.get("value") not in (None, ""):
                value = float(s.get("value"))
    return value


MSG = {
    "fr": {
        "services": "au moins {need} services demandeurs différents ({n} enregistré{s} : {orgs}) : ajoutez-les au réseau (rôle « demandeur », avec leur organisation)",
        "none": "aucun", "two": "deux",
        "no-form": "le formulaire de demande (youth-request), qui dit si la situation demande un travail clinique de réseau",
        "no-need": "un besoin de travail clinique de réseau (la demande dit que non)",
        "refusal": "le case management clinique demande {missing} ; sinon refusez la demande (decline)",
        "and": " ; et ",
    },
    "nl": {
        "services": "minstens {need} verschillende aanvragende diensten ({n} geregistreerd: {orgs}): voeg ze toe aan het netwerk (rol « demandeur », met hun organisatie)",
        "none": "geen", "two": "twee",
        "no-form": "het aanvraagformulier (youth-request), dat zegt of de situatie klinisch netwerkwerk vraagt",
        "no-need": "een nood aan klinisch netwerkwerk (de aanvraag zegt van niet)",
        "refusal": "klinisch casemanagement vraagt {missing}; weiger anders de aanvraag (decline)",
        "and": "; en ",
    },
    "de": {
        "services": "mindestens {need} verschiedene anfragende Dienste ({n} erfasst: {orgs}): fügen Sie sie dem Netzwerk hinzu (Rolle « demandeur », mit ihrer Organisation)",
        "none": "keiner", "two": "zwei",
        "no-form": "das Anfrageformular (youth-request), das sagt, ob die Situation klinische Netzwerkarbeit verlangt",
        "no-need": "einen Bedarf an klinischer Netzwerkarbeit (die Anfrage verneint ihn)",
        "refusal": "das klinische Case Management verlangt {missing}; sonst lehnen Sie die Anfrage ab (decline)",
        "and": "; und ",
    },
    "en": {
        "services": "at least {need} different requesting services ({n} recorded: {orgs}): add them to the network (role \"demandeur\", with their organisation)",
        "none": "none", "two": "two",
        "no-form": "the request form (youth-request), which says whether the situation calls for clinical network work",
        "no-need": "a need for clinical network work (the request says there is none)",
        "refusal": "clinical case management needs {missing}; otherwise decline the request (decline)",
        "and": "; and ",
    },
}


@filrouge.guard("youth-access")
def access(call):
    """The refusal is written in the acting user's language (call.lang)."""
    m = MSG.get(getattr(call, "lang", None) or "fr", MSG["fr"])
    raw = filrouge.setting("min-services", plugin="youth", default="2") or "2"
    try:
        need = int(raw)
    except ValueError:
        raise filrouge.Refused("the setting min-services of the youth plugin is not a whole number: %r" % raw)
    case = ET.fromstring(call.case_xml)
    orgs = set()
    for mb in case.iter("member"):
        if mb.get("kind") == "formal" and mb.get("role") == "demandeur" and mb.get("organisation"):
            orgs.add(mb.get("organisation").strip())
    missing = []
    if len(orgs) < need:
        missing.append(m["services"].format(
            need=m["two"] if need == 2 else need, n=len(orgs), s="s" if len(orgs) > 1 else "",
            orgs=", ".join(sorted(orgs)) or m["none"]))
    work = _latest_score(case, "youth-request", "network-work")
    if work is None:
        missing.append(m["no-form"])
    elif work < 1:
        missing.append(m["no-need"])
    if not missing:
        return True
    return m["refusal"].format(missing=m["and"].join(missing))


TASK = {
    "fr": "Inscrire au réseau les services demandeurs de la demande ({n}, rôle « demandeur », avec leur organisation) : {names}",
    "nl": "De aanvragende diensten uit de aanvraag in het netwerk opnemen ({n}, rol « demandeur », met hun organisatie): {names}",
    "de": "Die anfragenden Dienste der Anfrage ins Netzwerk aufnehmen ({n}, Rolle « demandeur », mit ihrer Organisation): {names}",
    "en": "Record the request's requesting services in the network ({n}, role \"demandeur\", with their organisation): {names}",
}


@filrouge.on("form.submitted", name="services")
def services_to_network(ev):
    """The requesting services a request announces (one per line, free
    text: the service, the contact person, how to reach them) are not
    recorded in the network by themselves — a person checks who they are —
    but the case manager gets a task listing them, since the access guard
    counts the services of the network. Only when the network does not yet
    hold as many requesting organisations as the request lists."""
    p = ev.payload
    if p.get("form") != "youth-request" or p.get("status") != "final" or not ev.case_id:
        return
    sub = [s for s in filrouge.submissions(ev.case_id, "youth-request")
           if s.get("id") == p.get("submission")]
    data = (sub[0].get("data") if sub else None) or {}
    lines = [l.strip() for l in (data.get("services") or "").splitlines() if l.strip()]
    if not lines:
        return
    orgs = {m.get("organisation") for m in filrouge.network(ev.case_id)
            if m.get("role") == "demandeur" and m.get("organisation")}
    if len(orgs) >= len(lines):
        return
    lang = filrouge.lang() if filrouge.lang() in TASK else "fr"
    names = " ; ".join(l.split(",")[0].strip() for l in lines)
    filrouge.create_task(ev.case_id, TASK[lang].format(n=len(lines), names=names)[:200],
                         due_on=filrouge.today())


@filrouge.on("form.*", name="pyramid")
def pyramid(ev):
    """The level of the Kaiser Permanente pyramid the request suggests: a
    situation that combines three types or more (multiple distress, impasse,
    tensions, intersectoral complexity, rupture) calls for intensive case
    management (3); clinical network work is otherwise at least assisted
    care management (2)."""
    if ev.topic not in ("form.submitted", "form.amended") or not ev.case_id:
        return
    p = ev.payload
    if p.get("form") != "youth-request" or p.get("status") != "final":
        return
    situations = ((p.get("scores") or {}).get("situations") or {}).get("value")
    if situations is None:
        return
    filrouge.suggest_level(ev.case_id, 3 if situations >= 3 else 2)
