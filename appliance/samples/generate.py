"""Deterministic generator of a SYNTHETIC clinical-note instruction/response dataset.

Every identifier in the output is FAKE and planted on purpose so that the scrubbing stage can be
tested: names are random combinations from small hand-written lists, phone numbers use the 555
area code, e-mail addresses use the reserved example.com / example.org domains, SSN-like numbers
use the never-issued 900-999 area range, and MRNs are random 8-digit numbers.  No real personal
data is used.  Only the standard library is needed.

Usage::

    python -m appliance.samples.generate --n 300 --seed 7
    # writes appliance/samples/clinical_notes.jsonl

API::

    generate(n=300, seed=7) -> list[dict]            # {"id", "instruction", "response"}
    generate_with_pii(n=300, seed=7) -> (records, planted)
        planted[i] = {"id": ..., "values": [{"type": ..., "value": ...}, ...]}
    planted_values(n=300, seed=7) -> planted          # convenience: second half of the above
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_OUT = Path(__file__).with_name("clinical_notes.jsonl")

PII_TYPES = (
    "PERSON",
    "DATE",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "US_SSN",
    "MRN",
    "LOCATION",
    "STREET_ADDRESS",
)

# --------------------------------------------------------------------------------------------
# Hand-written word lists (fictional combinations; no real people).
# Last names deliberately avoid clinical words, street names and city names.
# --------------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Maria",
    "James",
    "Aisha",
    "Wei",
    "Priya",
    "Santiago",
    "Fatima",
    "Olusegun",
    "Mei",
    "Dmitri",
    "Keiko",
    "Ahmed",
    "Sofia",
    "Liam",
    "Amara",
    "Mateo",
    "Ingrid",
    "Rahul",
    "Chiamaka",
    "Tomasz",
    "Leila",
    "Hiroshi",
    "Grace",
    "Kwame",
    "Elena",
    "Daniel",
    "Yusuf",
    "Anika",
    "Marcus",
    "Noor",
    "José",
    "Zoë",
    "Renée",
    "Björn",
    "Chloé",
    "Siobhan",
    "Thanh",
    "Carmen",
    "Arjun",
    "Hannah",
)

LAST_NAMES = (
    "Okafor",
    "Nakamura",
    "Fernández",
    "Haddad",
    "Kowalski",
    "O'Connor",
    "Patel",
    "Nguyen",
    "Schmidt",
    "Mensah",
    "Rossi",
    "Ivanova",
    "Castillo",
    "Kim",
    "Abernathy",
    "Delacroix",
    "Ogunleye",
    "Lindqvist",
    "Chaudhry",
    "Moreau",
    "Takahashi",
    "Baptiste",
    "Rahimi",
    "Novak",
    "Achebe",
    "Gutiérrez",
    "Horvath",
    "Yamamoto",
    "Mbeki",
    "Sørensen",
    "Petrov",
    "Alvarado",
    "Whitfield",
    "Osei",
    "Brennan",
    "Zhang",
    "Kaur",
    "Dubois",
    "Esposito",
    "Quispe",
)

STREETS = (
    "Maple Avenue",
    "Oak Street",
    "Cedar Lane",
    "Birch Road",
    "Willow Drive",
    "Elm Street",
    "Lakeview Drive",
    "Hillcrest Road",
    "Juniper Court",
    "Magnolia Way",
    "Chestnut Street",
    "Sycamore Lane",
    "Aspen Court",
    "Riverbend Road",
    "Orchard Street",
    "Laurel Avenue",
    "Meadow Lane",
    "Harbor View Road",
    "Pinecrest Drive",
    "Quarry Road",
)

CITIES = (
    "Fairview",
    "Riverton",
    "Lakewood",
    "Cedar Falls",
    "Millbrook",
    "Oak Harbor",
    "Brookhaven",
    "Westfield",
    "Greenville",
    "Ashland",
    "Kingsport",
    "Stonebridge",
    "Clearwater",
    "Bayside",
    "Northgate",
    "Elk Grove",
    "Red Bluff",
    "Silver Springs",
    "Glenwood",
    "Port Alder",
)

EMAIL_DOMAINS = ("example.com", "example.org")

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

FOLLOW_UP_WEEKS = (2, 4, 6, 8, 12, 16, 24)


# --------------------------------------------------------------------------------------------
# Clinical facts (harmless, textbook-style).
# --------------------------------------------------------------------------------------------

LabFn = Callable[[random.Random], tuple[str, bool]]


def _lab_hba1c(rng: random.Random) -> tuple[str, bool]:
    v = round(rng.uniform(6.0, 10.4), 1)
    return f"HbA1c {v}%", v < 7.0


def _lab_bp(rng: random.Random) -> tuple[str, bool]:
    sys_ = rng.randint(116, 168)
    dia = rng.randint(70, 102)
    return f"BP {sys_}/{dia} mmHg", sys_ < 130 and dia < 80


def _lab_ldl(rng: random.Random) -> tuple[str, bool]:
    v = rng.randint(68, 190)
    return f"LDL {v} mg/dL", v < 100


def _lab_fev1_asthma(rng: random.Random) -> tuple[str, bool]:
    v = rng.randint(60, 98)
    return f"FEV1 {v}% predicted", v >= 80


def _lab_spo2(rng: random.Random) -> tuple[str, bool]:
    v = rng.randint(87, 98)
    return f"SpO2 {v}% on room air", v >= 92


def _lab_moca(rng: random.Random) -> tuple[str, bool]:
    v = rng.randint(19, 30)
    return f"MoCA {v}/30", v >= 26


def _lab_tsh(rng: random.Random) -> tuple[str, bool]:
    v = round(rng.uniform(0.8, 9.6), 1)
    return f"TSH {v} mIU/L", v <= 4.5


def _lab_hr(rng: random.Random) -> tuple[str, bool]:
    v = rng.randint(60, 132)
    return f"heart rate {v} bpm", v < 110


def _lab_uacr(rng: random.Random) -> tuple[str, bool]:
    v = rng.randint(12, 420)
    return f"urine albumin/creatinine {v} mg/g", v < 30


def _lab_phq9(rng: random.Random) -> tuple[str, bool]:
    v = rng.randint(2, 22)
    return f"PHQ-9 score {v}", v < 10


def _lab_pain(rng: random.Random) -> tuple[str, bool]:
    v = rng.randint(1, 9)
    return f"knee pain {v}/10", v <= 4


def _lab_bnp(rng: random.Random) -> tuple[str, bool]:
    v = rng.randint(60, 1400)
    return f"BNP {v} pg/mL", v < 100


@dataclass(frozen=True)
class Condition:
    name: str
    meds: tuple[str, ...]
    lab: LabFn
    goal: str
    recheck: str
    event: str | None  # reason for a hospital stay, if the condition plausibly causes one
    warning: str
    specialty: str
    min_age: int = 19


CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "type 2 diabetes",
        (
            "metformin 500 mg twice daily",
            "metformin 1000 mg twice daily",
            "glipizide 5 mg daily",
            "empagliflozin 10 mg daily",
            "insulin glargine 20 units at bedtime",
        ),
        _lab_hba1c,
        "HbA1c below 7.0%",
        "HbA1c",
        "hyperglycemia",
        "blood sugar over 300 or confusion",
        "endocrinology",
        25,
    ),
    Condition(
        "hypertension",
        (
            "lisinopril 10 mg daily",
            "lisinopril 20 mg daily",
            "amlodipine 5 mg daily",
            "losartan 50 mg daily",
            "hydrochlorothiazide 25 mg daily",
        ),
        _lab_bp,
        "BP below 130/80",
        "blood pressure check",
        "hypertensive urgency",
        "chest pain or a severe headache",
        "cardiology",
        25,
    ),
    Condition(
        "hyperlipidemia",
        (
            "atorvastatin 20 mg nightly",
            "atorvastatin 40 mg nightly",
            "rosuvastatin 10 mg daily",
            "pravastatin 40 mg nightly",
        ),
        _lab_ldl,
        "LDL below 100 mg/dL",
        "lipid panel",
        None,
        "muscle pain or dark urine",
        "cardiology",
        25,
    ),
    Condition(
        "asthma",
        (
            "albuterol inhaler 2 puffs as needed",
            "fluticasone 110 mcg 2 puffs twice daily",
            "montelukast 10 mg nightly",
            "budesonide-formoterol 2 puffs twice daily",
        ),
        _lab_fev1_asthma,
        "FEV1 at least 80% predicted",
        "spirometry",
        "an asthma exacerbation",
        "shortness of breath at rest",
        "pulmonology",
    ),
    Condition(
        "COPD",
        (
            "tiotropium 18 mcg inhaled daily",
            "albuterol inhaler 2 puffs as needed",
            "prednisone 40 mg daily for 5 days",
        ),
        _lab_spo2,
        "SpO2 at least 92%",
        "pulse oximetry",
        "a COPD exacerbation",
        "worse breathing or fever",
        "pulmonology",
        45,
    ),
    Condition(
        "Parkinson's disease",
        (
            "carbidopa-levodopa 25/100 mg three times daily",
            "pramipexole 0.25 mg three times daily",
            "rasagiline 1 mg daily",
        ),
        _lab_moca,
        "MoCA of 26 or higher",
        "cognitive screen",
        "a fall at home",
        "new falls or hallucinations",
        "neurology",
        50,
    ),
    Condition(
        "hypothyroidism",
        ("levothyroxine 50 mcg daily", "levothyroxine 75 mcg daily", "levothyroxine 100 mcg daily"),
        _lab_tsh,
        "TSH 4.5 mIU/L or lower",
        "TSH",
        None,
        "palpitations or unusual fatigue",
        "endocrinology",
    ),
    Condition(
        "atrial fibrillation",
        ("apixaban 5 mg twice daily", "metoprolol succinate 25 mg daily", "diltiazem 120 mg daily"),
        _lab_hr,
        "heart rate below 110 bpm",
        "ECG",
        "rapid atrial fibrillation",
        "bleeding, fainting, or a racing heart",
        "cardiology",
        45,
    ),
    Condition(
        "chronic kidney disease stage 3",
        ("losartan 25 mg daily", "sodium bicarbonate 650 mg twice daily", "dapagliflozin 10 mg daily"),
        _lab_uacr,
        "urine albumin/creatinine below 30 mg/g",
        "kidney panel",
        None,
        "leg swelling or little urine",
        "nephrology",
        40,
    ),
    Condition(
        "major depressive disorder",
        (
            "sertraline 50 mg daily",
            "sertraline 100 mg daily",
            "escitalopram 10 mg daily",
            "bupropion XL 150 mg daily",
        ),
        _lab_phq9,
        "PHQ-9 below 10",
        "PHQ-9",
        None,
        "thoughts of self-harm",
        "psychiatry",
    ),
    Condition(
        "knee osteoarthritis",
        (
            "acetaminophen 650 mg every 8 hours as needed",
            "meloxicam 7.5 mg daily",
            "diclofenac 1% gel four times daily",
        ),
        _lab_pain,
        "pain 4/10 or lower",
        "knee exam",
        None,
        "a hot, swollen knee or fever",
        "orthopedics",
        40,
    ),
    Condition(
        "heart failure",
        (
            "furosemide 40 mg daily",
            "carvedilol 6.25 mg twice daily",
            "sacubitril-valsartan 24/26 mg twice daily",
        ),
        _lab_bnp,
        "BNP below 100 pg/mL",
        "BNP",
        "a heart failure exacerbation",
        "rapid weight gain or leg swelling",
        "cardiology",
        45,
    ),
)

INPATIENT_CONDITIONS = tuple(c for c in CONDITIONS if c.event is not None)


# --------------------------------------------------------------------------------------------
# Fake identities.
# --------------------------------------------------------------------------------------------


def _ascii_fold(text: str) -> str:
    """'Sørensen' -> 'sorensen', "O'Connor" -> 'oconnor' (for e-mail local parts)."""
    text = text.replace("ø", "o").replace("Ø", "O").replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()).lower()


def _long_date(d: dt.date) -> str:
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"


def _short_date(d: dt.date) -> str:
    return f"{d.month:02d}/{d.day:02d}/{d.year}"


def _age_on(dob: dt.date, on: dt.date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


@dataclass(frozen=True)
class Patient:
    name: str
    dob: str
    visit: str
    age: int
    mrn: str
    phone: str
    email: str
    street: str
    city: str
    ssn: str
    provider: str


class _Identities:
    """Draws fake identities; keeps MRN / SSN / phone / e-mail unique across the dataset."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def _unique(self, make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in self.seen:
                self.seen.add(value)
                return value

    def person_name(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def patient(self, min_age: int) -> Patient:
        rng = self.rng
        first, last = self.person_name()
        visit = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(730))
        target_age = rng.randint(min_age, 89)
        birth_year = visit.year - target_age
        dob = dt.date(birth_year, 1, 1) + dt.timedelta(days=rng.randrange(365))
        age = _age_on(dob, visit)

        def phone() -> str:
            exch, line = rng.randint(10, 999), rng.randint(0, 9999)
            if rng.random() < 0.5:
                return f"(555) {exch:03d}-{line:04d}"
            return f"555-{exch:03d}-{line:04d}"

        def email() -> str:
            f, ln = _ascii_fold(first), _ascii_fold(last)
            domain = rng.choice(EMAIL_DOMAINS)
            style = rng.randrange(3)
            if style == 0:
                return f"{f}.{ln}@{domain}"
            if style == 1:
                return f"{f[0]}{ln}{rng.randint(10, 99)}@{domain}"
            return f"{f}_{ln}{rng.randint(1, 9)}@{domain}"

        def street() -> str:
            return f"{rng.randint(12, 9899)} {rng.choice(STREETS)}"

        while True:
            pf, pl = self.person_name()
            if pl != last:
                break
        return Patient(
            name=f"{first} {last}",
            dob=_short_date(dob),
            visit=_long_date(visit),
            age=age,
            mrn=self._unique(lambda: str(rng.randint(10_000_000, 99_999_999))),
            phone=self._unique(phone),
            email=self._unique(email),
            street=street(),
            city=rng.choice(CITIES),
            ssn=self._unique(
                lambda: f"{rng.randint(900, 999)}-{rng.randint(10, 99):02d}-{rng.randint(1000, 9999):04d}"
            ),
            provider=f"{pf} {pl}",
        )


class _Planted:
    """Collects every fake identifier that a template actually writes into a record."""

    def __init__(self) -> None:
        self.values: list[dict[str, str]] = []

    def __call__(self, pii_type: str, value: str) -> str:
        assert pii_type in PII_TYPES, pii_type
        item = {"type": pii_type, "value": value}
        if item not in self.values:
            self.values.append(item)
        return value


@dataclass(frozen=True)
class Facts:
    conds: tuple[Condition, ...]
    meds: tuple[str, ...]
    labs: tuple[str, ...]
    at_goal: bool  # for the primary condition's lab
    weeks: int


def _cap(text: str) -> str:
    """Capitalize the first letter only ('heart rate 91 bpm' -> 'Heart rate 91 bpm'; 'HbA1c' unchanged)."""
    return text[:1].upper() + text[1:]


def _and(items: tuple[str, ...]) -> str:
    return " and ".join(items)


# --------------------------------------------------------------------------------------------
# Templates: (rng, patient, facts, planted) -> (instruction, response)
# --------------------------------------------------------------------------------------------

Template = Callable[[random.Random, Patient, Facts, _Planted], tuple[str, str]]


def _t_summary(rng: random.Random, p: Patient, f: Facts, v: _Planted) -> tuple[str, str]:
    name = v("PERSON", p.name)
    ids = f"{name} (DOB {v('DATE', p.dob)}, MRN {v('MRN', p.mrn)})"
    contact = (
        f"Lives at {v('STREET_ADDRESS', p.street)}, {v('LOCATION', p.city)}; "
        f"phone {v('PHONE_NUMBER', p.phone)}"
    )
    if rng.random() < 0.5:
        contact += f"; email {v('EMAIL_ADDRESS', p.email)}"
    if rng.random() < 0.3:
        ids = ids[:-1] + f", SSN {v('US_SSN', p.ssn)})"
    instr = (
        f"Summarize this clinic note: {ids} was seen on {v('DATE', p.visit)}. {contact}. "
        f"History of {_and(tuple(c.name for c in f.conds))}. {_cap('; '.join(f.labs))}. "
        f"Meds: {', '.join(f.meds)}. Plan: follow up in {f.weeks} weeks."
    )
    resp = (
        f"{name} is a {p.age}-year-old with {_and(tuple(c.name for c in f.conds))}, "
        f"on {_and(f.meds)}. Follow up in {f.weeks} weeks."
    )
    return instr, resp


def _t_discharge(rng: random.Random, p: Patient, f: Facts, v: _Planted) -> tuple[str, str]:
    c = f.conds[0]
    name = v("PERSON", p.name)
    instr = (
        f"Write discharge instructions for this patient: {name}, MRN {v('MRN', p.mrn)}, "
        f"DOB {v('DATE', p.dob)}, admitted for {c.event} and discharged on {v('DATE', p.visit)} "
        f"by Dr. {v('PERSON', p.provider)}. New medication: {f.meds[0]}. "
        f"Home: {v('STREET_ADDRESS', p.street)}, {v('LOCATION', p.city)}. "
        f"Phone {v('PHONE_NUMBER', p.phone)}. Clinic visit in {f.weeks} weeks."
    )
    if rng.random() < 0.35:
        instr += f" SSN {v('US_SSN', p.ssn)} on file."
    resp = (
        f"{name}: take {f.meds[0]}. Call the clinic or return if you have {c.warning}. "
        f"See your doctor in {f.weeks} weeks."
    )
    return instr, resp


def _t_meds(rng: random.Random, p: Patient, f: Facts, v: _Planted) -> tuple[str, str]:
    name = v("PERSON", p.name)
    instr = (
        f"Extract the medications from this note: Visit {v('DATE', p.visit)}. Pt {name}, "
        f"DOB {v('DATE', p.dob)}, MRN {v('MRN', p.mrn)}, tel {v('PHONE_NUMBER', p.phone)}. "
        f"Dx: {_and(tuple(c.name for c in f.conds))}. {_cap('; '.join(f.labs))}. "
        f"Taking {_and(f.meds)}."
    )
    if rng.random() < 0.5:
        instr += f" Portal email {v('EMAIL_ADDRESS', p.email)}."
    pairs = "; ".join(f"{m} for {c.name}" for m, c in zip(f.meds, f.conds, strict=True))
    resp = f"Medications for {name}: {pairs}. No other medications are listed."
    return instr, resp


def _t_followup(rng: random.Random, p: Patient, f: Facts, v: _Planted) -> tuple[str, str]:
    c = f.conds[0]
    name = v("PERSON", p.name)
    instr = (
        f"What follow-up is needed for this patient? Note dated {v('DATE', p.visit)}: {name} "
        f"(MRN {v('MRN', p.mrn)}, DOB {v('DATE', p.dob)}) with {c.name}. {_cap(f.labs[0])}. "
        f"Continue {f.meds[0]}. Plan: repeat {c.recheck} in {f.weeks} weeks. "
        f"Address {v('STREET_ADDRESS', p.street)}, {v('LOCATION', p.city)}; "
        f"phone {v('PHONE_NUMBER', p.phone)}."
    )
    resp = (
        f"{name} needs a follow-up visit in {f.weeks} weeks with a repeat {c.recheck}. Continue {f.meds[0]}."
    )
    return instr, resp


def _t_labs(rng: random.Random, p: Patient, f: Facts, v: _Planted) -> tuple[str, str]:
    name = v("PERSON", p.name)
    visit = v("DATE", p.visit)
    instr = (
        f"List the lab results in this note: {name}, DOB {v('DATE', p.dob)}, MRN {v('MRN', p.mrn)}, "
        f"seen {visit} at the {v('LOCATION', p.city)} clinic. Contact {v('EMAIL_ADDRESS', p.email)} "
        f"or {v('PHONE_NUMBER', p.phone)}. Known {_and(tuple(c.name for c in f.conds))}. "
        f"Results today: {'; '.join(f.labs)}. Medications unchanged: {', '.join(f.meds)}."
    )
    pairs = "; ".join(f"{lab} ({c.name})" for lab, c in zip(f.labs, f.conds, strict=True))
    resp = f"Lab results for {name} on {visit}: {pairs}. No other results are reported."
    return instr, resp


def _t_problems(rng: random.Random, p: Patient, f: Facts, v: _Planted) -> tuple[str, str]:
    name = v("PERSON", p.name)
    ids = f"DOB {v('DATE', p.dob)}, MRN {v('MRN', p.mrn)}"
    if rng.random() < 0.6:
        ids += f", SSN {v('US_SSN', p.ssn)}"
    instr = (
        f"List the diagnoses in this note: {v('DATE', p.visit)} visit. Patient {name}, {ids}. "
        f"Address {v('STREET_ADDRESS', p.street)}, {v('LOCATION', p.city)}. "
        f"Assessment: {_and(tuple(c.name for c in f.conds))}; {'; '.join(f.labs)}. "
        f"Medications: {', '.join(f.meds)}."
    )
    resp = f"Diagnoses for {name}: {'; '.join(c.name for c in f.conds)}. Treated with {_and(f.meds)}."
    return instr, resp


def _t_referral(rng: random.Random, p: Patient, f: Facts, v: _Planted) -> tuple[str, str]:
    c = f.conds[0]
    name = v("PERSON", p.name)
    instr = (
        f"Write a one-sentence referral to {c.specialty} from this note: {name} "
        f"(DOB {v('DATE', p.dob)}, MRN {v('MRN', p.mrn)}, phone {v('PHONE_NUMBER', p.phone)}) "
        f"was seen by Dr. {v('PERSON', p.provider)} on {v('DATE', p.visit)} for {c.name}. "
        f"{_cap(f.labs[0])}. On {f.meds[0]}. "
        f"Address: {v('STREET_ADDRESS', p.street)}, {v('LOCATION', p.city)}."
    )
    resp = (
        f"Referral to {c.specialty}: {name}, a {p.age}-year-old with {c.name} ({f.labs[0]}) "
        f"on {f.meds[0]}, for specialist evaluation."
    )
    return instr, resp


def _t_soap(rng: random.Random, p: Patient, f: Facts, v: _Planted) -> tuple[str, str]:
    c = f.conds[0]
    name = v("PERSON", p.name)
    instr = (
        f"Write the assessment and plan for this note: Date {v('DATE', p.visit)}. {name}, "
        f"MRN {v('MRN', p.mrn)}, DOB {v('DATE', p.dob)}, email {v('EMAIL_ADDRESS', p.email)}, "
        f"cell {v('PHONE_NUMBER', p.phone)}. Known {c.name}. Today {f.labs[0]} (goal {c.goal}). "
        f"On {f.meds[0]}. Return in {f.weeks} weeks."
    )
    status = "at goal" if f.at_goal else "not at goal"
    resp = (
        f"Assessment: {name} has {c.name}, {status} ({f.labs[0]}). "
        f"Plan: continue {f.meds[0]}; follow up in {f.weeks} weeks."
    )
    return instr, resp


def _t_portal(rng: random.Random, p: Patient, f: Facts, v: _Planted) -> tuple[str, str]:
    c = f.conds[0]
    name = v("PERSON", p.name)
    instr = (
        f"Draft a reply to this patient portal message. From {name} <{v('EMAIL_ADDRESS', p.email)}>, "
        f'MRN {v("MRN", p.mrn)}, sent {v("DATE", p.visit)}: "I am almost out of my {f.meds[0]} '
        f"for {c.name}. Please send it to the pharmacy near {v('STREET_ADDRESS', p.street)}, "
        f'{v("LOCATION", p.city)}. My cell is {v("PHONE_NUMBER", p.phone)}." '
        f"Chart: next visit due in {f.weeks} weeks."
    )
    resp = (
        f"Dear {name}, a refill of {f.meds[0]} has been sent to your pharmacy. "
        f"Please keep your follow-up visit in {f.weeks} weeks."
    )
    return instr, resp


def _t_plain(rng: random.Random, p: Patient, f: Facts, v: _Planted) -> tuple[str, str]:
    c = f.conds[0]
    name = v("PERSON", p.name)
    instr = (
        f"Explain this note to the patient in plain language: {name}, DOB {v('DATE', p.dob)}, "
        f"MRN {v('MRN', p.mrn)}, seen {v('DATE', p.visit)}. Ph {v('PHONE_NUMBER', p.phone)}. "
        f"Addr {v('STREET_ADDRESS', p.street)}, {v('LOCATION', p.city)}. Dx {c.name}. {_cap(f.labs[0])}. "
        f"Rx {f.meds[0]}. RTC {f.weeks} wks."
    )
    if rng.random() < 0.3:
        instr += f" SSN {v('US_SSN', p.ssn)}."
    resp = (
        f"{name}, your visit showed {c.name} with {f.labs[0]}. Keep taking {f.meds[0]} "
        f"as prescribed and come back in {f.weeks} weeks."
    )
    return instr, resp


TEMPLATES: tuple[tuple[Template, bool], ...] = (
    # (template, needs a condition that can cause a hospital stay)
    (_t_summary, False),
    (_t_discharge, True),
    (_t_meds, False),
    (_t_followup, False),
    (_t_labs, False),
    (_t_problems, False),
    (_t_referral, False),
    (_t_soap, False),
    (_t_portal, False),
    (_t_plain, False),
)


# --------------------------------------------------------------------------------------------
# Public API.
# --------------------------------------------------------------------------------------------


def _facts(rng: random.Random, inpatient: bool) -> Facts:
    primary = rng.choice(INPATIENT_CONDITIONS if inpatient else CONDITIONS)
    conds: tuple[Condition, ...] = (primary,)
    if rng.random() < 0.45:
        secondary = rng.choice([c for c in CONDITIONS if c is not primary])
        conds = (primary, secondary)
    meds: list[str] = []
    labs: list[str] = []
    at_goal = False
    for i, c in enumerate(conds):
        med = rng.choice([m for m in c.meds if m not in meds])
        meds.append(med)
        lab, ok = c.lab(rng)
        labs.append(lab)
        if i == 0:
            at_goal = ok
    return Facts(conds, tuple(meds), tuple(labs), at_goal, rng.choice(FOLLOW_UP_WEEKS))


def generate_with_pii(n: int = 300, seed: int = 7) -> tuple[list[dict], list[dict]]:
    """Return (records, planted) where planted[i] lists every fake identifier in records[i]."""
    if n < 0:
        raise ValueError("n must be >= 0")
    rng = random.Random(seed)
    ids = _Identities(rng)
    records: list[dict] = []
    planted: list[dict] = []
    for i in range(n):
        template, inpatient = TEMPLATES[rng.randrange(len(TEMPLATES))]
        facts = _facts(rng, inpatient)
        patient = ids.patient(max(c.min_age for c in facts.conds))
        marks = _Planted()
        instruction, response = template(rng, patient, facts, marks)
        rec_id = f"note-{i + 1:04d}"
        text = instruction + "\n" + response
        for item in marks.values:  # every planted value must really be in the record
            assert item["value"] in text, (rec_id, item)
        records.append({"id": rec_id, "instruction": instruction, "response": response})
        planted.append({"id": rec_id, "values": marks.values})
    return records, planted


def generate(n: int = 300, seed: int = 7) -> list[dict]:
    """Return n synthetic records {"id", "instruction", "response"}; same seed -> same output."""
    return generate_with_pii(n, seed)[0]


def planted_values(n: int = 300, seed: int = 7) -> list[dict]:
    """Return the planted fake identifiers for generate(n, seed), one entry per record."""
    return generate_with_pii(n, seed)[1]


def write_jsonl(records: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    out.write_bytes(data.encode("utf-8"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic clinical-note JSONL dataset (fake PII).")
    parser.add_argument("--n", type=int, default=300, help="number of records (default 300)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output path (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    records = generate(args.n, args.seed)
    write_jsonl(records, args.out)
    print(f"wrote {len(records)} records to {args.out}")


if __name__ == "__main__":
    main()
