"""Access criteria of youth clinical case management (Bru-Stars, seed 004).

Guard ``youth-access`` (``guard-ref="py:youth-access"`` on ``accept``): a
request is accepted only with

- at least two DIFFERENT requesting services: active formal members of the
  case's network whose role is "demandeur", counted by organisation (two
  people of one service count once; a member whose period has ended is not
  in the case view, so it does not count);
- a need for clinical network work (the request form youth-request).

The refusal names what is missing. Settings (site.xml, <plugin id="youth">):
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


@filrouge.guard("youth-access")
def access(call):
    raw = filrouge.setting("min-services", plugin="youth", default="2") or "2"
    try:
        need = int(raw)
    except ValueError:
        raise filrouge.Refused("the setting min-services of the youth plugin is not a whole number: %r" % raw)
    case = ET.fromstring(call.case_xml)
    orgs = set()
    for m in case.iter("member"):
        if m.get("kind") == "formal" and m.get("role") == "demandeur" and m.get("organisation"):
            orgs.add(m.get("organisation").strip())
    missing = []
    if len(orgs) < need:
        missing.append(
            "au moins %s services demandeurs différents (%d enregistré%s : %s) : ajoutez-les au réseau "
            "(rôle « demandeur », avec leur organisation)"
            % ("deux" if need == 2 else str(need), len(orgs), "s" if len(orgs) > 1 else "",
               ", ".join(sorted(orgs)) or "aucun"))
    work = _latest_score(case, "youth-request", "network-work")
    if work is None:
        missing.append("le formulaire de demande (youth-request), qui dit si la situation demande un travail clinique de réseau")
    elif work < 1:
        missing.append("un besoin de travail clinique de réseau (la demande dit que non)")
    if not missing:
        return True
    return "le case management clinique demande " + " ; et ".join(missing) + " ; sinon refusez la demande (decline)"


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
