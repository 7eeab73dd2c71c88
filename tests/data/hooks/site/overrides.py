# A site's own rules on top of the hooky plugin: switch one default off,
# replace another, and add guards and form hooks.
import filrouge

filrouge.disable("hooky.defaults.welcome")


@filrouge.on("case.transitioned", replaces="hooky.defaults.remind")
def remind(ev):
    filrouge.create_task(ev.case_id, "Site reminder: now in " + ev.payload["to"])


@filrouge.guard("site-approve")
def approve(call):
    notes = filrouge.notes(call.case_id)
    if any("approved" in n["text"] for n in notes):
        return True
    raise filrouge.Refused("a note saying 'approved' is needed first")


@filrouge.guard("spin")
def spin(call):
    while True:
        pass


@filrouge.guard("crash")
def crash(call):
    return {}["missing"]


@filrouge.validate("katz")
def katz_checks(values):
    problems = {}
    if int(values.get("bathing") or 0) > 4:  # a number here, a code ("1") in a submission
        problems["bathing"] = "bathing is scored 1 to 4"
    if not values.get("assessor"):
        problems["assessor"] = ["who assessed?", "a name is needed"]
    return problems


@filrouge.compute("katz")
def katz_total(values):
    return {"total": sum(v for k, v in values.items() if isinstance(v, int)),
            "band": "high" if values.get("bathing", 0) >= 3 else "low"}


@filrouge.on("case.date-changed")
def fire_when_dated(ev):
    filrouge.fire(ev.case_id, "auto", note="dated by " + ev.payload.get("name", "?"))
