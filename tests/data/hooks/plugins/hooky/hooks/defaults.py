# The hooky plugin's default hooks.
import filrouge


@filrouge.guard("hooky-ready")
def ready(call):
    """A case goes to review once its intensity is 2 or more."""
    case = filrouge.case(call.case_id)
    if case["intensity"] >= 2:
        return True
    return "the case needs intensity 2 or more before review"


@filrouge.on("case.transitioned")
def remind(ev):
    filrouge.create_task(ev.case_id, "Plugin reminder: now in " + ev.payload["to"])


@filrouge.on("case.opened")
def welcome(ev):
    filrouge.add_note(ev.case_id, "welcome from the plugin")
