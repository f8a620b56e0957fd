"""Labelled synthetic corpus for the scrubbing evaluation: clinical notes, banking messages, support chats.

Every identifier is FAKE: names are random combinations from the lists below, phones use 555 (US) or
fictional-range numbers, e-mails use example.* domains, SSNs use the never-issued 9xx area, card numbers and
IBANs are generated with valid checksums from random digits. Each document carries the character spans of
what it planted (`pii`) and of harmless phrases that must survive verbatim (`keep`).

Two template sets and two name sets: `split="tune"` (set A) is what the recognizers were tuned on;
`split="heldout"` (set B: other templates, other sentence shapes, names that are NOT in the scrubber's
gazetteer) was used for error analysis during development; `split="final"` (set C, same held-out names,
templates written after tuning stopped and never inspected for errors) is what the numbers are reported on.

    from bench.scrub_corpus import generate
    docs = generate(2000, seed=1, split="heldout")   # [{"id", "text", "pii": [...], "keep": [...]}]
"""

from __future__ import annotations

import random
import re
import string
from typing import Any

# ---- names. Tune names overlap the gazetteer; held-out names are filtered to be outside it.
TUNE_GIVEN = "Maria James Aisha Wei Priya Santiago Fatima Dmitri Keiko Ahmed Sofia Liam Ingrid Rahul Tomasz Leila".split()
TUNE_FAMILY = (
    "Okafor Nakamura Haddad Kowalski Patel Nguyen Schmidt Mensah Rossi Castillo Lindqvist Moreau".split()
)
HELDOUT_GIVEN = (
    "Thaddeus Perpetua Oyelaran Bartholomew Isidora Lucian Marisela Cosimo Henrietta Evander Philippa "
    "Ignatius Rosalba Leopold Ottilie Caspian Severine Ambrose Clementine Jovan Radomir Zuleika Teodor "
    "Wilhelmina Fenella Augustin Bronwyn Casimir Delphine Eudora Fridolin Gwendolyn Hamish Isolde Jarek"
).split()
HELDOUT_FAMILY = (
    "Quarshie Vantongeren Brzezinski Oyenuga Halloran Castellanos Thistlewood Abernethy-Rhys Kamaraju "
    "Villeneuve Sorensen Mbatha Ferreira-Lopes Drummond Achterberg Nwachukwu Lisowski Montgomery Ravindran "
    "Tremblay Okonjo Whitcombe Zamorano Delacourt Petrakis Huxtable Szymanski Oduya Carrington Fairweather"
).split()

US_STREETS = (
    "Pinecrest Laurel Riverbend Oakmont Sycamore Briarwood Hawthorne Fox Hollow Cedar Ridge Mill Pond".split()
)
US_TYPES = [
    "Street",
    "St.",
    "Avenue",
    "Ave",
    "Road",
    "Rd",
    "Drive",
    "Dr.",
    "Lane",
    "Court",
    "Boulevard",
    "Way",
    "Terrace",
    "Place",
]
CITIES = "Riverton Millbrook Ashford Crestview Lakeside Harwood Fairmont Kingsbury Westvale Brampton".split()
STATES = "IL OH TX CA NY PA WA MA GA NC".split()
EU_ADDR = [
    "{name}straße {n}",
    "{name}weg {n}",
    "{n} rue de la {fr}",
    "{n}, avenue {fr}",
    "Via {it} {n}",
    "Calle {es} {n}",
    "{n} {uk} Road",
    "Flat {n2}, {n} {uk} Street",
    "{name}straat {n}",
    "Rua {es} {n}",
]
DE_NAMES = "Linden Garten Berg Wald Mühlen Schiller Goethe Hafen Kirch Rosen".split()
FR_NAMES = ["Paix", "Fontaine", "Gare", "République", "Victor Hugo", "Liberté"]
IT_NAMES = ["Roma", "Garibaldi", "Mazzini", "Dante", "Cavour", "Verdi"]
ES_NAMES = ["Mayor", "Alcalá", "Serrano", "Gran Vía", "Toledo", "Princesa"]
UK_NAMES = ["Baker", "Kings", "Station", "Church", "Victoria", "Mill"]

DRUGS = [
    "metformin 500 mg",
    "atorvastatin 20 mg",
    "lisinopril 10 mg",
    "apixaban 5 mg",
    "levothyroxine 75 mcg",
    "sertraline 50 mg",
    "amoxicillin 875 mg",
    "insulin glargine 20 units",
    "Lipitor 40 mg",
    "Eliquis 5 mg",
    "furosemide 40 mg",
    "omeprazole 20 mg",
    "gabapentin 300 mg",
    "prednisone 10 mg",
    "warfarin 5 mg",
]
LABS = [
    "HbA1c 7.2%",
    "LDL 173 mg/dL",
    "creatinine 1.4 mg/dL",
    "TSH 3.1 mIU/L",
    "BP 128/82",
    "potassium 4.1 mmol/L",
    "eGFR 58 mL/min/1.73 m2",
    "hemoglobin 11.2 g/dL",
    "heart rate 91 bpm",
]
EPONYMS = [
    "Parkinson's disease",
    "Crohn's disease",
    "Hodgkin lymphoma",
    "Alzheimer's disease",
    "Graves' disease",
    "Bell's palsy",
    "Cushing's syndrome",
    "Glasgow Coma Scale 14",
    "Apgar score 9",
    "Wells score of 4",
    "Hashimoto's thyroiditis",
    "Barrett's esophagus",
    "Guillain-Barré syndrome",
    "Down syndrome",
]
CODES = ["ICD-10 E11.9", "ICD-10 I10", "CPT 99213", "CPT 80053", "ICD-10 J45.909", "Z79.4"]
MONEY = ["$1,250.00", "$45.99", "EUR 300", "€2.400,50", "£89.00", "USD 12,000"]
VERSIONS = ["version 2.4.1", "v3.2.0", "iOS 17.2", "Android 14.1", "build 5.0.12", "firmware 1.8.3"]

# ---- generators of identifier values


def _luhn_complete(prefix: str, length: int, rnd: random.Random) -> str:
    digits = prefix + "".join(rnd.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in "0123456789":
        cand = digits + last
        total = 0
        for i, ch in enumerate(reversed(cand)):
            n = int(ch)
            if i % 2 == 1:
                n = n * 2 - 9 if n * 2 > 9 else n * 2
            total += n
        if total % 10 == 0:
            return cand
    raise AssertionError


def _card(rnd: random.Random) -> str:
    kind = rnd.choice(["visa", "mc", "amex", "disc"])
    if kind == "amex":
        d = _luhn_complete(rnd.choice(["34", "37"]), 15, rnd)
        return rnd.choice([d, f"{d[:4]} {d[4:10]} {d[10:]}", f"{d[:4]}-{d[4:10]}-{d[10:]}"])
    d = _luhn_complete({"visa": "4", "mc": rnd.choice(["51", "53", "55"]), "disc": "6011"}[kind], 16, rnd)
    sep = rnd.choice(["", " ", "-"])
    return sep.join(d[i : i + 4] for i in range(0, 16, 4))


def _iban(rnd: random.Random) -> str:
    country, blen = rnd.choice([("DE", 18), ("GB", 18), ("FR", 23), ("NL", 14), ("ES", 20)])
    if country == "GB":
        bban = "".join(rnd.choice(string.ascii_uppercase) for _ in range(4)) + "".join(
            rnd.choice(string.digits) for _ in range(14)
        )
    elif country == "NL":
        bban = "".join(rnd.choice(string.ascii_uppercase) for _ in range(4)) + "".join(
            rnd.choice(string.digits) for _ in range(10)
        )
    else:
        bban = "".join(rnd.choice(string.digits) for _ in range(blen))
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(num) % 97
    iban = f"{country}{check:02d}{bban}"
    return iban if rnd.random() < 0.4 else " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _phone(rnd: random.Random) -> str:
    a, b = rnd.randint(200, 989), rnd.randint(1000, 9999)
    return rnd.choice(
        [
            f"(555) {a}-{b}",
            f"555-{a}-{b}",
            f"555.{a}.{b}",
            f"+1 555 {a} {b}",
            f"+1-555-{a}-{b}",
            f"+44 20 7946 {rnd.randint(1000, 9999)}",
            f"+49 30 {rnd.randint(1000000, 9999999)}",
            f"+33 1 {rnd.randint(10, 99)} {rnd.randint(10, 99)} {rnd.randint(10, 99)} {rnd.randint(10, 99)}",
            f"+91 98{rnd.randint(10000000, 99999999)}",
            f"0044 20 7946 {rnd.randint(1000, 9999)}",
        ]
    )


def _date(rnd: random.Random) -> str:
    y, m, d = rnd.randint(1935, 2024), rnd.randint(1, 12), rnd.randint(1, 28)
    mon = [
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
    ][m - 1]
    return rnd.choice(
        [
            f"{m:02d}/{d:02d}/{y}",
            f"{m}/{d}/{y}",
            f"{y}-{m:02d}-{d:02d}",
            f"{mon} {d}, {y}",
            f"{d} {mon} {y}",
            f"{mon[:3]} {d}, {y}",
            f"{d:02d}.{m:02d}.{y}",
            f"{d}th of {mon} {y}",
        ]
    )


def _person(rnd: random.Random, given: list[str], family: list[str]) -> str:
    g, f = rnd.choice(given), rnd.choice(family)
    return rnd.choice(
        [
            f"{g} {f}",
            f"{g} {f}",
            f"{f}, {g}",
            f"{g.upper()} {f.upper()}",
            f"{g.lower()} {f.lower()}",
            f"{f.upper()}, {g.upper()}",
            f"{g} {rnd.choice(string.ascii_uppercase)}. {f}",
        ]
    )


def _address(rnd: random.Random) -> str:
    if rnd.random() < 0.55:
        street = f"{rnd.randint(1, 9999)} {rnd.choice(US_STREETS)} {rnd.choice(US_TYPES)}"
        if rnd.random() < 0.3:
            street += f", Apt {rnd.randint(1, 40)}{rnd.choice('ABCD')}"
        return street
    t = rnd.choice(EU_ADDR)
    return t.format(
        name=rnd.choice(DE_NAMES),
        n=rnd.randint(1, 180),
        n2=rnd.randint(1, 30),
        fr=rnd.choice(FR_NAMES),
        it=rnd.choice(IT_NAMES),
        es=rnd.choice(ES_NAMES),
        uk=rnd.choice(UK_NAMES),
    )


def _values(rnd: random.Random, split: str) -> dict[str, Any]:
    given, family = (TUNE_GIVEN, TUNE_FAMILY) if split == "tune" else (HELDOUT_GIVEN, HELDOUT_FAMILY)
    return {
        "PERSON": lambda: _person(rnd, given, family),
        "TITLED": lambda: f"{rnd.choice(['Dr.', 'Dr', 'Mr.', 'Mrs.', 'Ms.', 'Prof.'])} {rnd.choice(family)}",
        "STREET_ADDRESS": lambda: _address(rnd),
        "PHONE_NUMBER": lambda: _phone(rnd),
        "EMAIL_ADDRESS": lambda: (
            f"{rnd.choice(given).lower()}.{rnd.choice(family).lower().replace(chr(39), '')}"
            f"{rnd.randint(1, 99)}@{rnd.choice(['example.com', 'example.org', 'example.net'])}"
        ),
        "US_SSN": lambda: f"9{rnd.randint(10, 99)}-{rnd.randint(10, 99)}-{rnd.randint(1000, 9999)}",
        "CREDIT_CARD": lambda: _card(rnd),
        "IBAN_CODE": lambda: _iban(rnd),
        "IP_ADDRESS": lambda: rnd.choice(
            [
                f"10.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}",
                f"192.168.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}",
                f"2001:db8:{rnd.randint(0, 65535):x}::{rnd.randint(1, 65535):x}",
            ]
        ),
        "URL": lambda: rnd.choice(
            [
                f"https://portal.example.com/patients/{rnd.randint(1000, 99999)}",
                f"http://www.example.org/u/{rnd.choice(family).lower()}",
                f"www.example.net/p?id={rnd.randint(100, 9999)}",
            ]
        ),
        "MRN": lambda: rnd.choice(
            [
                str(rnd.randint(10**6, 10**9)),
                f"A{rnd.randint(100000, 9999999)}",
                f"{rnd.randint(100, 999)}-{rnd.randint(100, 999)}-{rnd.randint(100, 999)}",
            ]
        ),
        "ACCOUNT": lambda: str(rnd.randint(10**7, 10**12)),
        "DATE": lambda: _date(rnd),
        "ZIP": lambda: f"{rnd.randint(10000, 99999)}",
        "CITY": lambda: rnd.choice(CITIES),
        "STATE": lambda: rnd.choice(STATES),
        "DRUG": lambda: rnd.choice(DRUGS),
        "LAB": lambda: rnd.choice(LABS),
        "EPONYM": lambda: rnd.choice(EPONYMS),
        "CODE": lambda: rnd.choice(CODES),
        "MONEY": lambda: rnd.choice(MONEY),
        "VERSION": lambda: rnd.choice(VERSIONS),
    }


# Slot → (label in "pii"/"keep", kind). TITLED is a person; CITY/ZIP/STATE are location context, not scored
# (HIPAA wants cities and ZIP5 out, but the targets are on names and street addresses).
SLOT_KIND = {
    "PERSON": ("pii", "PERSON"),
    "TITLED": ("pii", "PERSON"),
    "STREET_ADDRESS": ("pii", "STREET_ADDRESS"),
    "PHONE_NUMBER": ("pii", "PHONE_NUMBER"),
    "EMAIL_ADDRESS": ("pii", "EMAIL_ADDRESS"),
    "US_SSN": ("pii", "US_SSN"),
    "CREDIT_CARD": ("pii", "CREDIT_CARD"),
    "IBAN_CODE": ("pii", "IBAN_CODE"),
    "IP_ADDRESS": ("pii", "IP_ADDRESS"),
    "URL": ("pii", "URL"),
    "MRN": ("pii", "MRN"),
    "ACCOUNT": ("pii", "ACCOUNT_NUMBER"),
    "DATE": ("pii", "DATE"),
    "ZIP": ("pii", "ZIP"),
    "CITY": ("ctx", "CITY"),
    "STATE": ("ctx", "STATE"),
    "DRUG": ("keep", "DRUG"),
    "LAB": ("keep", "LAB"),
    "EPONYM": ("keep", "EPONYM"),
    "CODE": ("keep", "CODE"),
    "MONEY": ("keep", "MONEY"),
    "VERSION": ("keep", "VERSION"),
}

TEMPLATES_A = [
    "Patient {PERSON}, DOB {DATE}, MRN {MRN}, seen for {EPONYM}. Started {DRUG} daily; {LAB}. Address {STREET_ADDRESS}, {CITY}, {STATE} {ZIP}. Phone {PHONE_NUMBER}.",  # noqa: E501
    "{TITLED} reviewed labs: {LAB}, {LAB}. Plan: continue {DRUG}. Contact {EMAIL_ADDRESS} or {PHONE_NUMBER}. SSN {US_SSN} on file.",  # noqa: E501
    "Referral for {PERSON} (MRN: {MRN}) with {EPONYM}; {CODE}. Seen by {TITLED} on {DATE}.",
    "Hi, this is {PERSON}. My card {CREDIT_CARD} was charged {MONEY} twice. Account {ACCOUNT}. Call me at {PHONE_NUMBER}.",  # noqa: E501
    "Wire {MONEY} to IBAN {IBAN_CODE} for {PERSON}, {STREET_ADDRESS}. Reference invoice 2024.",
    "Ticket: user {EMAIL_ADDRESS} reports the app ({VERSION}) fails from IP {IP_ADDRESS}. Profile: {URL}. Name: {PERSON}.",  # noqa: E501
    "Discharge summary {DATE}: {PERSON} ({TITLED} attending). Dx {EPONYM}, {CODE}. Rx {DRUG}. Lives at {STREET_ADDRESS}.",  # noqa: E501
    "Customer {PERSON} updated address to {STREET_ADDRESS}, {ZIP} {CITY}. New phone {PHONE_NUMBER}; SSN {US_SSN}.",
]
TEMPLATES_B = [
    "Pt {PERSON} is a 67 y/o with {EPONYM} on {DRUG}. {LAB} today. Chart #{MRN}. Resides {STREET_ADDRESS} in {CITY}. Daughter {PERSON} can be reached on {PHONE_NUMBER}.",  # noqa: E501
    "Note from {TITLED}: {PERSON} tolerated {DRUG}; repeat {LAB} in 3 months. Billing {CODE}, amount {MONEY}. Appointment {DATE}.",  # noqa: E501
    "Dear {PERSON}, your payment of {MONEY} with card ending {CREDIT_CARD} failed. Please update billing address {STREET_ADDRESS}. Questions: {EMAIL_ADDRESS}.",  # noqa: E501
    "chat: hello i am {PERSON}, my ssn is {US_SSN} and my number is {PHONE_NUMBER}. i moved to {STREET_ADDRESS} last week",  # noqa: E501
    "Transfer request - beneficiary {PERSON}, IBAN {IBAN_CODE}, acct no. {ACCOUNT}. Approved by {TITLED}.",
    "Crash report {VERSION} from {IP_ADDRESS}; session {URL}; reporter {EMAIL_ADDRESS}. Reported by {PERSON} on {DATE}.",  # noqa: E501
    "Consult: {TITLED} asked to see {PERSON} re {EPONYM} ({CODE}). MRN {MRN}. {LAB}. Home: {STREET_ADDRESS}, {CITY} {STATE} {ZIP}.",  # noqa: E501
    "Follow-up call with {PERSON} regarding {DRUG}. Spouse {PERSON} present. Next visit {DATE}. Reach at {PHONE_NUMBER} or {EMAIL_ADDRESS}.",  # noqa: E501
    "Claim submitted for {PERSON}, {DATE}, {CODE}, total {MONEY}; member address {STREET_ADDRESS}; card {CREDIT_CARD}.",  # noqa: E501
]

# Set C ("final"): written after tuning stopped, never used for error analysis; report these numbers.
TEMPLATES_C = [
    "Agent: Thanks for calling, may I have your name? Customer: it's {PERSON}. Agent: and the card number? Customer: {CREDIT_CARD}. Agent: I see a charge of {MONEY} on {DATE}.",  # noqa: E501
    "LAB REPORT. Name: {PERSON}. DOB: {DATE}. MRN {MRN}. Results: {LAB}; {LAB}. Ordering physician {TITLED}. Diagnosis {EPONYM}, {CODE}.",  # noqa: E501
    "To whom it may concern, {PERSON} of {STREET_ADDRESS}, {CITY}, has been under my care for {EPONYM} and takes {DRUG}. Contact me at {EMAIL_ADDRESS}. Signed, {TITLED}",  # noqa: E501
    "KYC check: applicant {PERSON}, SSN {US_SSN}, residential address {STREET_ADDRESS} {ZIP}, phone {PHONE_NUMBER}, IBAN {IBAN_CODE}.",  # noqa: E501
    "Login alert for {EMAIL_ADDRESS} from {IP_ADDRESS} using {VERSION}. If this was not you, visit {URL} or call {PHONE_NUMBER}.",  # noqa: E501
    "{PERSON} was admitted {DATE} with {EPONYM}. Home address on file: {STREET_ADDRESS}. Billing {CODE} {MONEY}. Medical record {MRN}.",  # noqa: E501
    "Message thread - {PERSON}: my account {ACCOUNT} is locked. support: we emailed {EMAIL_ADDRESS}. {PERSON}: thanks, my cell is {PHONE_NUMBER}.",  # noqa: E501
]

_SLOT = re.compile(r"\{([A-Z_]+)\}")


def generate(n: int, seed: int, split: str = "heldout") -> list[dict[str, Any]]:
    if split not in ("tune", "heldout", "final"):
        raise ValueError("split must be 'tune', 'heldout' or 'final'")
    rnd = random.Random(seed)
    vals = _values(rnd, split)
    templates = {"tune": TEMPLATES_A, "heldout": TEMPLATES_B, "final": TEMPLATES_C}[split]
    docs = []
    for i in range(n):
        tpl = rnd.choice(templates)
        out, pii, keep, ctx, pos = [], [], [], [], 0
        for m in _SLOT.finditer(tpl):
            out.append(tpl[pos : m.start()])
            start = sum(len(s) for s in out)
            value = vals[m.group(1)]()
            out.append(value)
            where, kind = SLOT_KIND[m.group(1)]
            span = {"type": kind, "start": start, "end": start + len(value), "value": value}
            if m.group(1) == "TITLED":  # the title is not an identifier; the name after it is
                name_at = value.index(" ") + 1
                span.update(start=start + name_at, value=value[name_at:])
            if where == "pii":
                pii.append(span)
            elif where == "keep":
                keep.append(span)
            else:
                ctx.append(span)
            pos = m.end()
        out.append(tpl[pos:])
        docs.append(
            {"id": f"{split}-{seed}-{i:05d}", "text": "".join(out), "pii": pii, "keep": keep, "ctx": ctx}
        )
    return docs


def heldout_names_outside_gazetteer() -> tuple[list[str], list[str]]:
    """The held-out name lists minus anything in the scrubber's gazetteer (asserted empty in tests)."""
    from appliance.scrub import lexicons as lx

    g = [x for x in HELDOUT_GIVEN if x.casefold() in lx.GIVEN_NAMES]
    f = [x for x in HELDOUT_FAMILY if x.casefold() in lx.SURNAMES]
    return g, f
