"""Breast cancer: two systematic appointments, at the start and at the end
of radiotherapy (seed 000).

The workflow language cannot make an on-enter task depend on a form's
value, so this hook does it: when a final (or amended) treatment episode
form says the cancer is a breast cancer, it creates two tasks anchored on
the case dates ``rt-start`` and ``rt-end``. Anchored tasks are the kernel's:
created without a due date while the date is not set, they move when the
date moves (`filrouge case date`), unless someone already rescheduled or
did them. Tasks made by a hook are not cancelled when the case changes
state, so the end-of-treatment appointment stays on the échéancier through
the episode.

A site can switch this off (``filrouge.disable("oncology.oncology.breast_appointments")``
in its own hooks) or replace it with ``replaces=``.
"""
import filrouge

APPOINTMENTS = (
    ("rt-start", "Rendez-vous de début de radiothérapie (cancer du sein)"),
    ("rt-end", "Rendez-vous de fin de radiothérapie (cancer du sein)"),
)


def _existing_titles(case_id):
    titles = set()
    for status in ("open", "done", "cancelled"):
        for t in filrouge.tasks(case_id, status=status):
            if t.get("origin") == "hook":
                titles.add(t.get("title"))
    return titles


@filrouge.on("form.*", name="breast_appointments")
def breast_appointments(ev):
    if ev.topic not in ("form.submitted", "form.amended") or not ev.case_id:
        return
    p = ev.payload
    if p.get("form") != "rt-episode" or p.get("status") != "final":
        return
    subs = [s for s in filrouge.submissions(ev.case_id, "rt-episode")
            if s.get("id") == p.get("submission")]
    if not subs:
        return
    values = subs[0].get("data") or {}
    if values.get("cancer-site") != "breast":
        return
    # at least once: never create the same appointment twice
    have = _existing_titles(ev.case_id)
    for anchor, title in APPOINTMENTS:
        if title not in have:
            filrouge.create_task(ev.case_id, title, anchor=anchor, offset="P0D")


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
