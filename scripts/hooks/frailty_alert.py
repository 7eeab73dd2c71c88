"""Alert the case manager's team when a frailty score crosses the threshold.

Copy into <site>/hooks/ and set, in site.xml (all optional):

    <setting name="frailty-alert.form">efs</setting>        the form
    <setting name="frailty-alert.score">total</setting>     the score's name
    <setting name="frailty-alert.threshold">8</setting>     alert at or above

When a final submission of the form reaches the threshold and the previous
one of the same case did not (or there was none), every member of the
case's team — or the case manager alone when the case has no team — gets a
task due today, the case gets a note, and its intensity goes up to at least
3. The score is read from the scores the forms part computed for the
submission (submission["scores"][name]["value"]); a form without such a
score (an external result whose total is a field) is read from its values
(submission["data"][name]).
"""
import filrouge


def _score(submission, name):
    score = (submission.get("scores") or {}).get(name)
    value = score.get("value") if score else (submission.get("data") or {}).get(name)
    return value if isinstance(value, (int, float)) else None


@filrouge.on("form.submitted")
def alert_on_threshold(ev):
    form = filrouge.setting("frailty-alert.form", default="efs")
    name = filrouge.setting("frailty-alert.score", default="total")
    threshold = float(filrouge.setting("frailty-alert.threshold", default="8"))
    if ev.case_id is None:
        return
    finals = [s for s in filrouge.submissions(ev.case_id, form) if s["status"] == "final"]
    if not finals:
        return
    now = _score(finals[-1], name)
    before = _score(finals[-2], name) if len(finals) > 1 else None
    if now is None or now < threshold or (before is not None and before >= threshold):
        return  # below, or already above last time: nothing new to say

    case = filrouge.case(ev.case_id)
    team = case.get("team")
    people = [u["login"] for u in filrouge.users()
              if u["active"] and team and team in (u.get("teams") or "").split(", ")]
    if not people and case.get("case_manager"):
        people = [case["case_manager"]]
    title = f"Frailty score {now:g} reached the threshold {threshold:g}: review the plan"
    for login in people:
        filrouge.create_task(ev.case_id, title, due_on=filrouge.today(), assignee=login)
    filrouge.add_note(ev.case_id, f"{form} {name} = {now:g} (threshold {threshold:g}); "
                                  f"alerted: {', '.join(people) or 'nobody (no manager, no team)'}")
    if case["intensity"] < 3:
        filrouge.set_intensity(ev.case_id, 3)
    filrouge.log(f"case {ev.case_id}: frailty alert sent to {len(people)} people")
