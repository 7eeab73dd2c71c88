"""Give a new case to a case manager by the patient's postal code and the
managers' current caseload.

Copy into <site>/hooks/ and edit AREAS: postal code prefixes -> team. A new
case without a case manager goes to the active case manager of the area's
team with the lowest load relative to their capacity (load: the sum of the
intensities of their open cases; capacity: `filrouge user add --capacity`).
Cases whose postal code matches no area, or whose team has no case
manager, are left for a person to assign (a note says why).
"""
import filrouge

# Longest prefix wins.
AREAS = {
    "50": "Namur Est",
    "51": "Namur Est",
    "53": "Namur Ouest",
    "1": "Bruxelles",
}


def _team_for(postal_code):
    best = None
    for prefix, team in AREAS.items():
        if postal_code.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, team)
    return best[1] if best else None


def _ratio(user):
    capacity = user.get("capacity") or 0
    return user["load"] / capacity if capacity > 0 else float(user["load"])


@filrouge.on("case.opened")
def assign_new_case(ev):
    case = filrouge.case(ev.case_id)
    if case.get("case_manager"):
        return  # someone already chose
    patient = filrouge.patient(case["patient_id"])
    postal_code = (patient.get("postal_code") or "").strip()
    team = _team_for(postal_code)
    if team is None:
        filrouge.add_note(ev.case_id, f"not assigned automatically: no area for postal code "
                                      f"'{postal_code}'")
        return
    managers = [u for u in filrouge.users()
                if u["role"] == "case_manager" and u["active"]
                and team in (u.get("teams") or "").split(", ")]
    if not managers:
        filrouge.add_note(ev.case_id, f"not assigned automatically: team {team} has no "
                                      f"active case manager")
        return
    chosen = min(managers, key=lambda u: (_ratio(u), u["open_cases"], u["login"]))
    filrouge.assign(ev.case_id, chosen["login"])
    filrouge.add_note(ev.case_id, f"assigned to {chosen['login']} ({team}, postal code "
                                  f"{postal_code}, load {chosen['load']}"
                                  f"/{chosen.get('capacity') or '-'})")
