"""Radiotherapy treatment episodes (seed 000).

- hook ``breast_appointments``: for a breast cancer, two systematic
  appointments, at the start and at the end of radiotherapy. The workflow
  language cannot make an on-enter task depend on a form's value, so this
  hook does it: when a final (or amended) treatment episode form says the
  cancer is a breast cancer, it creates two tasks anchored on the case
  dates ``rt-start`` and ``rt-end``. Anchored tasks are the kernel's:
  created without a due date while the date is not set, they move when the
  date moves (`filrouge case date`), unless someone already rescheduled or
  did them. Tasks made by a hook are not cancelled when the case changes
  state, so the end-of-treatment appointment stays on the échéancier
  through the episode.

  The episode's own dates (fields ``start`` and ``end``), when given,
  become the case dates rt-start and rt-end — for the newest episode only.

  An amendment that makes the episode another cancer cancels its open
  appointments (``filrouge.cancel_task``, with the reason, audited); one
  that makes it a breast cancer again creates them anew.

  A **new episode** (a new submission of ``rt-episode``, not an amendment,
  after a reopening) has its own appointments, titled with its number
  ("épisode 2"); the previous episodes' appointments still open are
  cancelled, since their episode is over.

- guard ``oncology-new-episode`` (event ``new-episode``, from follow-up back
  to treatment): a new episode recorded since the case came into follow-up,
  its start date, and the hospital of reference. The refusal is in the
  acting user's language.

A site can switch the appointments off
(``filrouge.disable("oncology.oncology.breast_appointments")`` in its own
hooks) or replace them with ``replaces=``.
"""
import xml.etree.ElementTree as ET

import filrouge

TITLES = {
    "fr": ("Rendez-vous de début de radiothérapie (cancer du sein{ep})",
           "Rendez-vous de fin de radiothérapie (cancer du sein{ep})", ", épisode {n}"),
    "nl": ("Afspraak bij het begin van de radiotherapie (borstkanker{ep})",
           "Afspraak bij het einde van de radiotherapie (borstkanker{ep})", ", episode {n}"),
    "de": ("Termin zu Beginn der Strahlentherapie (Brustkrebs{ep})",
           "Termin am Ende der Strahlentherapie (Brustkrebs{ep})", ", Episode {n}"),
    "en": ("Appointment at the start of radiotherapy (breast cancer{ep})",
           "Appointment at the end of radiotherapy (breast cancer{ep})", ", episode {n}"),
}

REASONS = {
    "fr": {"not-breast": "l'épisode de traitement n'est plus un cancer du sein (formulaire modifié)",
           "new-episode": "un nouvel épisode de traitement a commencé"},
    "nl": {"not-breast": "de behandelingsepisode is geen borstkanker meer (formulier gewijzigd)",
           "new-episode": "een nieuwe behandelingsepisode is begonnen"},
    "de": {"not-breast": "die Behandlungsepisode ist kein Brustkrebs mehr (Formular geändert)",
           "new-episode": "eine neue Behandlungsepisode hat begonnen"},
    "en": {"not-breast": "the treatment episode is no longer a breast cancer (form amended)",
           "new-episode": "a new treatment episode has begun"},
}


def _lang():
    lang = filrouge.lang()
    return lang if lang in TITLES else "fr"


def appointment_titles(n, lang="fr"):
    """The two appointments of episode n (1, 2, …): start, end."""
    start, end, ep = TITLES.get(lang, TITLES["fr"])
    suffix = ep.format(n=n) if n > 1 else ""
    return (start.format(ep=suffix), end.format(ep=suffix))


def episodes(subs):
    """The episodes of a case from its rt-episode submissions (oldest first):
    a list of (root id, newest final submission of its chain or None)."""
    by_id = {s["id"]: s for s in subs}

    def root(s):
        seen = set()
        while s.get("amends") and s["amends"] in by_id and s["id"] not in seen:
            seen.add(s["id"])
            s = by_id[s["amends"]]
        return s["id"]

    chains = {}
    for s in subs:
        r = root(s)
        chains.setdefault(r, None)
        if s.get("status") == "final" and not s.get("superseded_by"):
            chains[r] = s
    return sorted(chains.items()), root


def _hook_tasks(case_id, statuses):
    out = []
    for status in statuses:
        out.extend(t for t in filrouge.tasks(case_id, status=status) if t.get("origin") == "hook")
    return out


@filrouge.on("form.*", name="breast_appointments")
def breast_appointments(ev):
    if ev.topic not in ("form.submitted", "form.amended") or not ev.case_id:
        return
    p = ev.payload
    if p.get("form") != "rt-episode" or p.get("status") != "final":
        return
    subs = filrouge.submissions(ev.case_id, "rt-episode")
    this = [s for s in subs if s.get("id") == p.get("submission")]
    if not this:
        return
    chains, root = episodes(subs)
    roots = [r for r, _ in chains]
    mine = root(this[0])
    number = roots.index(mine) + 1
    newest = number == len(roots)
    values = this[0].get("data") or {}
    lang = _lang()
    titles = appointment_titles(number, lang)
    if newest:
        for name, field in (("rt-start", "start"), ("rt-end", "end")):
            if values.get(field):
                filrouge.set_date(ev.case_id, name, values[field])
    is_open = _hook_tasks(ev.case_id, ("open",))
    if values.get("cancer-site") != "breast":
        for t in is_open:
            if t.get("title") in titles:
                filrouge.cancel_task(t["id"], REASONS[lang]["not-breast"])
        return
    if newest and number > 1:
        # the earlier episodes are over: their appointments still open go
        for t in is_open:
            for k in range(1, number):
                if t.get("title") in appointment_titles(k, lang):
                    filrouge.cancel_task(t["id"], REASONS[lang]["new-episode"])
    # at least once: never create the same appointment twice (a cancelled
    # one is made again when the episode is a breast cancer again)
    have = {t.get("title") for t in _hook_tasks(ev.case_id, ("open", "done"))}
    for anchor, title in zip(("rt-start", "rt-end"), titles):
        if title not in have:
            filrouge.create_task(ev.case_id, title, anchor=anchor, offset="P0D")


NEW_EPISODE = {
    "fr": {"no-episode": "enregistrez d'abord le nouvel épisode : un nouveau formulaire rt-episode (filrouge form submit rt-episode --case CASE …), pas une modification de l'ancien",
           "no-start": "notez le début de la radiothérapie de ce nouvel épisode (champ start du formulaire, ou filrouge case date CASE rt-start JJ/MM/AAAA)",
           "no-hospital": "ajoutez l'hôpital de référence au réseau (rôle « hôpital de référence »)",
           "join": " ; "},
    "nl": {"no-episode": "registreer eerst de nieuwe episode: een nieuw formulier rt-episode, geen wijziging van het oude",
           "no-start": "noteer het begin van de radiotherapie van deze nieuwe episode (veld start, of filrouge case date CASE rt-start DD/MM/JJJJ)",
           "no-hospital": "voeg het referentieziekenhuis toe aan het netwerk (rol « hôpital de référence »)",
           "join": "; "},
    "de": {"no-episode": "erfassen Sie zuerst die neue Episode: ein neues Formular rt-episode, keine Änderung des alten",
           "no-start": "tragen Sie den Beginn der Strahlentherapie dieser neuen Episode ein (Feld start, oder filrouge case date CASE rt-start TT/MM/JJJJ)",
           "no-hospital": "fügen Sie das Referenzkrankenhaus dem Netzwerk hinzu (Rolle « hôpital de référence »)",
           "join": "; "},
    "en": {"no-episode": "record the new episode first: a new rt-episode form (filrouge form submit rt-episode --case CASE …), not an amendment of the old one",
           "no-start": "set the start of radiotherapy of this new episode (the form's start field, or filrouge case date CASE rt-start DD/MM/YYYY)",
           "no-hospital": "add the hospital of reference to the network (role \"hôpital de référence\")",
           "join": "; "},
}


@filrouge.guard("oncology-new-episode")
def new_episode(call):
    m = NEW_EPISODE.get(getattr(call, "lang", None) or "fr", NEW_EPISODE["fr"])
    case = ET.fromstring(call.case_xml)
    since = case.get("state-since") or ""
    chains, _ = episodes(filrouge.submissions(call.case_id, "rt-episode"))
    missing = []
    # the newest episode began (its first submission) since follow-up began
    subs = {s["id"]: s for s in filrouge.submissions(call.case_id, "rt-episode")}
    first = subs.get(chains[-1][0]) if chains else None
    if first is None or (first.get("submitted_at") or "")[:10] < since:
        missing.append(m["no-episode"])
    start = None
    for d in case.iter("date"):
        if d.get("name") == "rt-start":
            start = d.get("value")
    if not start or start < since:
        missing.append(m["no-start"])
    hospital = any(mb.get("kind") == "formal" and mb.get("role") == "hôpital de référence"
                   for mb in case.iter("member"))
    if not hospital:
        missing.append(m["no-hospital"])
    return True if not missing else m["join"].join(missing)


@filrouge.on("form.*", name="pyramid")
def pyramid(ev):
    """The level of the Kaiser Permanente pyramid the psychosocial assessment
    suggests: distress of 7 or more, or difficulties of 6 or more over the
    five domains, call for intensive case management (3); distress of 4 or
    more, which calls for further evaluation, for assisted care management
    (2); otherwise self-care support (1). The case manager may choose
    another level with a reason (`filrouge case level`)."""
    if ev.topic not in ("form.submitted", "form.amended") or not ev.case_id:
        return
    p = ev.payload
    if p.get("form") != "psychosocial" or p.get("status") != "final":
        return
    scores = p.get("scores") or {}
    distress = (scores.get("distress") or {}).get("value")
    needs = (scores.get("needs") or {}).get("value")
    if distress is None:
        return
    if distress >= 7 or (needs is not None and needs >= 6):
        level = 3
    elif distress >= 4:
        level = 2
    else:
        level = 1
    filrouge.suggest_level(ev.case_id, level)
