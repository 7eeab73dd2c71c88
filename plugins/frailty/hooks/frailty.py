"""Protocol 3 rules of the frailty plugin.

- guard ``frailty-eligible`` (``guard-ref="py:frailty-eligible"`` on the
  ``assess`` event): age 60 or over AND (Edmonton Frail Scale >= the site's
  policy value OR at least partial help for an activity of daily living on
  the Katz scale OR a dementia diagnosis made by a geriatrician, a
  psychiatrist or a neuropsychiatrist). The refusal says why.
- settings (site.xml, <plugin id="frailty">):
    efs-threshold   the EFS policy value (default 6)
    adl-help-level  the Katz level from which an activity counts as
                    "needs at least partial help" (default 2, 2..4)
    min-age         the minimum age (default 60)

  The refusal is written in the acting user's language (``call.lang``: fr,
  nl, de or en; their profile's, or the web request's).
- hook ``pyramid``: after a final "complexity" form, the level of the
  Kaiser Permanente pyramid its band suggests (filrouge.suggest_level).

A site replaces a rule with its own guard of the same name in
<site>/hooks/ (see docs/hooks.md).
"""
import xml.etree.ElementTree as ET

import filrouge

MSG = {
    "fr": {
        "age-unknown": "la date de naissance de la personne n'est pas connue : le Protocole 3 est réservé aux personnes de {min_age} ans et plus (filrouge patient edit)",
        "too-young": "la personne a {age} ans : le case management du Protocole 3 est réservé aux personnes de {min_age} ans et plus ; clôturez le signalement (not-eligible) ou orientez ailleurs",
        "no-criterion": "aucun critère de fragilité du Protocole 3 n'est rempli : {details}. Il faut un score EFS d'au moins {efs_min}, OU une aide au moins partielle pour une activité de la vie quotidienne (Katz), OU un diagnostic de démence posé par un gériatre, un psychiatre ou un neuropsychiatre",
        "efs": "EFS {v}", "efs-none": "pas de score EFS",
        "katz": "niveau d'aide Katz le plus élevé {v}", "katz-none": "pas d'échelle de Katz",
        "dem": "pas de diagnostic de démence par un spécialiste", "dem-none": "formulaire de signalement non rempli",
    },
    "nl": {
        "age-unknown": "de geboortedatum van de persoon is niet gekend: Protocol 3 is voor personen van {min_age} jaar en ouder",
        "too-young": "de persoon is {age} jaar: casemanagement binnen Protocol 3 is voor personen van {min_age} jaar en ouder; sluit de signalering af (not-eligible) of verwijs door",
        "no-criterion": "geen enkel kwetsbaarheidscriterium van Protocol 3 is vervuld: {details}. Nodig: een EFS-score van minstens {efs_min}, OF minstens gedeeltelijke hulp bij een ADL-activiteit (Katz), OF een diagnose van dementie door een geriater, psychiater of neuropsychiater",
        "efs": "EFS {v}", "efs-none": "geen EFS-score",
        "katz": "hoogste Katz-hulpniveau {v}", "katz-none": "geen Katz-schaal",
        "dem": "geen diagnose van dementie door een specialist", "dem-none": "signaleringsformulier niet ingevuld",
    },
    "de": {
        "age-unknown": "das Geburtsdatum der Person ist nicht bekannt: Protokoll 3 ist für Personen ab {min_age} Jahren (filrouge patient edit)",
        "too-young": "die Person ist {age} Jahre alt: das Case Management nach Protokoll 3 ist für Personen ab {min_age} Jahren; schließen Sie die Meldung ab (not-eligible) oder verweisen Sie weiter",
        "no-criterion": "kein Gebrechlichkeitskriterium des Protokolls 3 ist erfüllt: {details}. Nötig ist ein EFS-Wert von mindestens {efs_min}, ODER mindestens teilweise Hilfe bei einer Aktivität des täglichen Lebens (Katz), ODER eine Demenzdiagnose durch einen Geriater, Psychiater oder Neuropsychiater",
        "efs": "EFS {v}", "efs-none": "kein EFS-Wert",
        "katz": "höchste Katz-Hilfestufe {v}", "katz-none": "keine Katz-Skala",
        "dem": "keine Demenzdiagnose durch einen Facharzt", "dem-none": "Meldeformular nicht ausgefüllt",
    },
    "en": {
        "age-unknown": "the person's date of birth is not known: Protocol 3 is for people aged {min_age} and over",
        "too-young": "the person is {age}: Protocol 3 case management is for people aged {min_age} and over; close the referral (not-eligible) or refer elsewhere",
        "no-criterion": "no Protocol 3 frailty criterion is met: {details}. It needs an EFS score of at least {efs_min}, OR at least partial help with an activity of daily living (Katz), OR a dementia diagnosis by a geriatrician, a psychiatrist or a neuropsychiatrist",
        "efs": "EFS {v}", "efs-none": "no EFS score",
        "katz": "highest Katz level of help {v}", "katz-none": "no Katz scale",
        "dem": "no dementia diagnosis by a specialist", "dem-none": "referral form not filled in",
    },
}


def _number(name, default):
    raw = filrouge.setting(name, plugin="frailty", default=None)
    if raw is None or str(raw).strip() == "":
        return default
    try:
        return float(str(raw).strip())
    except ValueError:
        raise filrouge.Refused(
            "the setting {} of the frailty plugin in site.xml is not a number: {!r}".format(name, raw))


def latest_score(case, form, score):
    """The score of the case's latest final submission of FORM that is not
    superseded (the case view lists them oldest first), or None."""
    value = None
    for f in case.iter("form"):
        if f.get("id") != form or f.get("superseded-by"):
            continue
        value = None
        for s in f.iter("score"):
            if s.get("name") == score and s.get("value") not in (None, ""):
                value = float(s.get("value"))
    return value


def _fmt(v):
    return str(int(v)) if v == int(v) else str(v)


@filrouge.guard("frailty-eligible")
def eligible(call):
    m = MSG.get(getattr(call, "lang", None) or "fr", MSG["fr"])
    min_age = _number("min-age", 60)
    efs_min = _number("efs-threshold", 6)
    help_level = _number("adl-help-level", 2)
    case = ET.fromstring(call.case_xml)
    patient = case.find("patient")
    age = patient.get("age") if patient is not None else None
    if age in (None, ""):
        return m["age-unknown"].format(min_age=_fmt(min_age))
    if int(age) < min_age:
        return m["too-young"].format(age=age, min_age=_fmt(min_age))
    efs = latest_score(case, "efs", "efs")
    worst = latest_score(case, "katz", "worst")
    dementia = latest_score(case, "frailty-screening", "dementia")
    if efs is not None and efs >= efs_min:
        return True
    if worst is not None and worst >= help_level:
        return True
    if dementia is not None and dementia >= 1:
        return True
    details = [
        m["efs"].format(v=_fmt(efs)) if efs is not None else m["efs-none"],
        m["katz"].format(v=_fmt(worst)) if worst is not None else m["katz-none"],
        m["dem"] if dementia is not None else m["dem-none"],
    ]
    return m["no-criterion"].format(details="; ".join(details), efs_min=_fmt(efs_min))


LEVELS = {"level-1": 1, "level-2": 2, "level-3": 3}


@filrouge.on("form.*", name="pyramid")
def pyramid(ev):
    """The band of a final complexity form is the suggested level of the
    pyramid; the kernel makes it the case's level unless the case manager
    chose one (`filrouge case level CASE N --reason …`). Idempotent: the
    same suggestion twice changes nothing."""
    if ev.topic not in ("form.submitted", "form.amended") or not ev.case_id:
        return
    p = ev.payload
    if p.get("form") != "complexity" or p.get("status") != "final":
        return
    band = ((p.get("scores") or {}).get("signs") or {}).get("band")
    level = LEVELS.get(band)
    if level is not None:
        filrouge.suggest_level(ev.case_id, level)
