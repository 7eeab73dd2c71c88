"""A weekly digest of overdue tasks, one per person and ISO week.

Copy into <site>/hooks/. The daily `filrouge tick` publishes task.overdue
once for each task that becomes overdue; the first one of the week for a
person creates that person's digest: a task due today listing their
overdue tasks. Later ones in the same week add nothing (the digest of the
week exists), so a person gets at most one digest a week, on the first day
something of theirs is overdue.
"""
import datetime

import filrouge


def _week(today):
    year, week, _ = datetime.date.fromisoformat(today).isocalendar()
    return f"{year}-W{week:02d}"


@filrouge.on("task.overdue")
def weekly_digest(ev):
    task_id = ev.payload.get("task_id")
    task = next((t for t in filrouge.tasks(case_id=ev.case_id or 0, status="open")
                 if t["id"] == task_id), None)
    if task is None or not task.get("assignee"):
        return  # done since, or nobody's
    login = task["assignee"]
    today = filrouge.today()
    title = f"Overdue digest {_week(today)}"
    mine = filrouge.tasks(assignee=login, status="open", limit=1000)
    if any(t["title"].startswith(title) for t in mine):
        return  # this week's digest exists
    overdue = [t for t in mine if t.get("overdue")]
    lines = ", ".join(f"#{t['id']} {t['title']} (due {t['due_on']})" for t in overdue[:20])
    more = f" and {len(overdue) - 20} more" if len(overdue) > 20 else ""
    filrouge.create_task(None, f"{title}: {len(overdue)} overdue: {lines}{more}",
                         due_on=today, assignee=login)
    filrouge.log(f"weekly digest for {login}: {len(overdue)} overdue tasks")
