"""Rules of the psychosis plugin.

- hook ``pyramid``: after a final CGI-S (instruments plugin) on a psychosis
  case, the level of the Kaiser Permanente pyramid it suggests: markedly ill
  or worse (5–7) intensive case management (3), mildly to moderately ill
  (3–4) assisted care management (2), normal or borderline (1–2) self-care
  support (1). The case manager may choose another level with a reason.
"""
import filrouge


@filrouge.on("form.*", name="pyramid")
def pyramid(ev):
    if ev.topic not in ("form.submitted", "form.amended") or not ev.case_id:
        return
    p = ev.payload
    if p.get("form") != "cgi-s" or p.get("status") != "final":
        return
    if filrouge.case(ev.case_id).get("plugin") != "psychosis":
        return
    severity = ((p.get("scores") or {}).get("severity") or {}).get("value")
    if severity is None:
        return
    level = 3 if severity >= 5 else 2 if severity >= 3 else 1
    filrouge.suggest_level(ev.case_id, level)
