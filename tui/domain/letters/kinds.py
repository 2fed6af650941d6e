"""The kinds of letter, their fields and statuses, and which kinds need a doctor's signature."""
from __future__ import annotations

from dataclasses import dataclass

from tui.domain import auth, settings
from tui.i18n import N_, _
from tui.models import LETTER_KINDS, LETTER_STATUSES, Staff


class LetterError(Exception):
    """A letter action that cannot be done now; the message is for the user."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str  # N_-marked English
    multiline: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (value, Danish label shown in the letter)
    required: bool = False
    date: bool = False  # typed through tui.domain.dates.parse_date, stored as dd.mm.yyyy
    doctor: bool = False  # the id of an active doctor, chosen from a list


@dataclass(frozen=True)
class KindSpec:
    kind: str
    label: str  # N_-marked English
    title: str  # the Danish word printed on the letter
    fields: tuple[FieldSpec, ...]
    needs_recipient: bool = True


PRIORITIES = (("routine", "Rutine"), ("urgent", "Haster"), ("asap", "Hurtigst muligt"),
              ("acute", "Akut"))
# "" first: a yes/no that nobody answered prints "Ikke angivet", never a reassuring "Nej".
YES_NO = (("", "Ikke angivet"), ("nej", "Nej"), ("ja", "Ja"))
# The free text of a letter: its own field, printed after what the template makes of the others.
FREE_TEXT = "text"
# MedCom CareCommunication categories (code, Danish designation), from the IG's CodeSystem.
CARE_CATEGORIES = (
    ("other", "Andet"),
    ("regarding-referral", "Vedr. henvisning"),
    ("examination-results", "Undersøgelsessvar"),
    ("medicine", "Medicin"),
    ("carecoordination", "Forløbskoordinering"),
    ("discharge", "Udskrivelse"),
    ("outpatient", "Ambulant"),
    ("nursing", "Sygepleje"),
    ("training", "Træning"),
    ("assistive-devices", "Hjælpemidler"),
    ("home-care-assessment", "Visitation"),
    ("healthcare", "Sundhedspleje"),
    ("psychiatry-social-disability", "Psykiatri, social, handicap"),
    ("alcohol-and-drug-treatment", "Rusmiddelbehandling"),
    ("telemedicine", "Telemedicin"),
    ("decease", "Dødsfald"),
    ("acute-ambulant", "Akut ambulant"),
    ("extended-care-responsibility", "Udvidet behandlingsansvar"),
)

KINDS: dict[str, KindSpec] = {
    "henvisning": KindSpec("henvisning", N_("Referral"), "Henvisning", (
        FieldSpec("priority", N_("Priority"), choices=PRIORITIES, required=True),
        FieldSpec("diagnosis_code", N_("Diagnosis code (ICD-10/SKS)")),
        FieldSpec("diagnosis_text", N_("Diagnosis"), required=True),
        FieldSpec("secondary_diagnoses", N_("Other diagnoses")),
        FieldSpec("history", N_("History"), multiline=True),
        FieldSpec("findings", N_("Findings"), multiline=True),
        FieldSpec("question", N_("Question to the receiver"), multiline=True, required=True),
        FieldSpec("results", N_("Test results"), multiline=True),
        FieldSpec("medication", N_("Medication"), multiline=True),
        FieldSpec("cave", N_("CAVE / allergies")),
        FieldSpec("interpreter", N_("Interpreter")),
        FieldSpec("special_needs", N_("Special needs")),
        FieldSpec("referring_doctor", N_("Referring doctor"), required=True, doctor=True),
    )),
    "epikrise": KindSpec("epikrise", N_("Discharge summary"), "Epikrise", (
        FieldSpec("follow_up", N_("Follow-up with own GP"), choices=YES_NO, required=True),
        FieldSpec("follow_up_what", N_("Follow-up: what")),
        FieldSpec("department", N_("Department")),
        FieldSpec("admitted", N_("Admitted (date)"), required=True, date=True),
        FieldSpec("discharged", N_("Discharged (date)"), required=True, date=True),
        FieldSpec("diagnoses", N_("Diagnoses"), multiline=True, required=True),
        FieldSpec("procedures", N_("Procedures"), multiline=True),
        FieldSpec("cave", N_("CAVE / allergies")),
        FieldSpec("medication", N_("Medication"), multiline=True),
        FieldSpec("course", N_("Course"), multiline=True),
        FieldSpec("responsible_doctor", N_("Responsible doctor"), required=True, doctor=True),
    )),
    "indkaldelse": KindSpec("indkaldelse", N_("Appointment letter"), "Indkaldelse", (
        FieldSpec("appointment_text", N_("Appointment"), required=True),
        FieldSpec("place", N_("Place")),
        FieldSpec("preparation", N_("Preparation"), multiline=True),
    ), needs_recipient=False),
    "korrespondance": KindSpec("korrespondance", N_("Correspondence"), "Korrespondance", (
        FieldSpec("category", N_("Category"), choices=CARE_CATEGORIES, required=True),
    )),
}
assert tuple(KINDS) == LETTER_KINDS

STATUS_LABELS = {
    "draft": N_("draft"),
    "awaiting_signature": N_("at doctor"),
    "signed": N_("signed"),
    "sent": N_("sent"),
    "returned": N_("returned"),
}
# How a letter left the clinic (mark_sent).
SEND_CHANNELS = {"file": N_("as a file"), "medcom": N_("through MedCom"),
                 "print": N_("printed and posted")}
SEND_CHANNEL_TEXT = {"file": "som fil", "medcom": "via MedCom", "print": "udskrevet og sendt med post"}
# Whether a kind needs a doctor's signature, unless the clinic says otherwise
# (setting "letters.needs_signature": {kind: bool}).
NEEDS_SIGNATURE = {"henvisning": True, "epikrise": True, "indkaldelse": False,
                   "korrespondance": True}


def set_needs_signature(user: Staff, choices: dict[str, bool]) -> dict[str, bool]:
    """Which kinds of letter need a doctor's signature (the administrator decides)."""
    auth.require(user, "admin.settings")
    clean = {k: bool(v) for k, v in choices.items() if k in KINDS}
    stored = dict(settings.get("letters.needs_signature", {}) or {})
    stored.update(clean)
    settings.put("letters.needs_signature", stored, by=user)
    return {k: needs_signature(k) for k in KINDS}


def needs_signature(kind: str) -> bool:
    chosen = settings.get("letters.needs_signature", {}) or {}
    value = chosen.get(kind) if isinstance(chosen, dict) else None
    return NEEDS_SIGNATURE.get(kind, True) if value is None else bool(value)
assert tuple(STATUS_LABELS) == LETTER_STATUSES

def kind_spec(kind: str) -> KindSpec:
    try:
        return KINDS[kind]
    except KeyError:
        raise LetterError(_("Unknown kind of letter: {kind}").format(kind=kind)) from None


def choice_label(choices: tuple[tuple[str, str], ...], value: str) -> str:
    return next((label for code, label in choices if code == value), value)
