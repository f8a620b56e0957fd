"""Structured values: CSV cells and the values and keys of JSON objects, scrubbed with their column's name.

A short value alone has no context: "536904287", "zebulon" or "60614" in a cell named `ssn`, `first_name` or
`zip` is found by nothing, while "ssn 536904287" in running text is. So a value that comes from a named key
(a CSV column, an object's key, the key of the list that holds it, the field's own name) is analysed as
`"<label>: <value>"`, one analysis of that one string, and only what is found inside the value is applied
(offsets shifted back): the engine's own label rules (labelled ids, name labels, postal codes, phone labels,
date-of-birth labels) see the context they need. The label is the key in words (`first_name` -> "first
name", `zipCode` -> "zip code"), or, where the key names a kind of identifier (see `column`), the word the
engine's rules know for that kind ("phone number" -> "phone", "surname" -> "name": the rules do not read
"phone number: 5558675309" or "surname: Vanderbrook" as labelled). A value that says there is none ("N/A",
"unknown") is not analysed under a label.

No label for a key whose last word names a kind of prose (`text`, `notes`, `prompt`, `messages` ...
`content`; `PROSE_WORDS`): such a value is running text with its own context, and is scrubbed exactly as
before, byte for byte.

Column rule (presidio-structured's column-to-entity mapping, kept narrow): where the key says what the value
is (first/last/given/full name, surname, ssn, phone/mobile/fax, zip/postcode, mrn, date of birth, e-mail,
street address, city, account, card number, iban) and the value has that kind's shape (a name of at most four
words, nine digits, 7 to 15 phone digits ...), the whole value is that entity, even where no recognizer fired
("Will" in a `first_name` column). Only for entities the policy scrubs, never for a value the policy's
allow-list keeps, and not where the engine already found one finding over the whole value (its type stands).
A bare `name` is not such a key (a drug, a product, a company have names too): "name: X" is left to the
engine's name-label rule, which knows drug names.

Object keys are scrubbed as text too, each alone, so a key holding a name, an e-mail address or a date does
not pass in clear; a key that names a known column (`first_name`, "Zip Code", `notes`) is not, and in a key
of one word the NER's guesses are not taken (see `key_result`). Two keys of one object that become the same
are both kept: keys that did not change keep their names, and a changed key that meets a name already taken
gets " (2)", " (3)" ... in the object's order.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from appliance.scrub.engine import Finding, Scrubber, TextResult, _merge, _uncovered

# A key whose last word names a kind of text, not what the text is about: the value is running text and is
# scrubbed without a label (as it always was). The canonical fields of prepared datasets are among them.
PROSE_WORDS = frozenset(
    """text texts body content contents message messages msg note notes comment comments description prompt
    prompts response responses system instruction instructions input output question answer summary transcript
    completion completions chosen rejected document documents narrative remarks dialogue conversation article
    abstract feedback review story""".split()
)

MAX_LABEL_CHARS = 40  # a longer key is content, not a column's name: no label

MAX_VALUE_CHARS = 200  # a longer value is text, never one identifier: no column rule
COLUMN_SCORE = 0.85  # the score of a column-rule finding (as the engine's labelled identifiers)

# the label word the engine's rules know for each kind (recognizers: name labels, LabelledIdRecognizer,
# IntlPhoneRecognizer, PostalCodeRecognizer, FullDateRecognizer)
CANONICAL_LABEL = {
    "PERSON": "name",
    "US_SSN": "ssn",
    "PHONE_NUMBER": "phone",
    "ZIP_CODE": "zip",
    "MEDICAL_RECORD_NUMBER": "mrn",
    "DATE_TIME": "dob",
    "EMAIL_ADDRESS": "email",
    "STREET_ADDRESS": "address",
    "LOCATION": "city",
    "ACCOUNT_NUMBER": "account",
    "CREDIT_CARD": "card",
    "IBAN_CODE": "iban",
    "LICENSE_NUMBER": "nino",
}

# words after the kind's own word that do not change what the value is: "phone number", "zip code",
# "address line 1", "account no", "email id"
_SUFFIX_WORDS = frozenset("number numbers no num nr code id line".split())
# the kinds, by the label's last word (after suffix words and trailing digits)
_LAST_WORD = {
    **dict.fromkeys(
        "surname surnames forename forenames firstname lastname fullname givenname familyname middlename "
        "fname lname middle".split(),
        "PERSON",
    ),
    **dict.fromkeys(["ssn", "ssns"], "US_SSN"),
    **dict.fromkeys(
        "phone phones telephone tel mobile cell cellphone fax phonenumber mobilephone".split(), "PHONE_NUMBER"
    ),
    **dict.fromkeys("zip zipcode zip5 postcode postal postalcode plz".split(), "ZIP_CODE"),
    "mrn": "MEDICAL_RECORD_NUMBER",
    **dict.fromkeys("dob dod birthdate birthday deathdate".split(), "DATE_TIME"),
    **dict.fromkeys("email emails".split(), "EMAIL_ADDRESS"),
    **dict.fromkeys("address addresses addr street".split(), "STREET_ADDRESS"),
    **dict.fromkeys("city town".split(), "LOCATION"),
    **dict.fromkeys("account acct".split(), "ACCOUNT_NUMBER"),
    **dict.fromkeys("card pan creditcard".split(), "CREDIT_CARD"),
    "iban": "IBAN_CODE",
}
# phrases at the end of a label
_LAST_PHRASES = (
    (re.compile(r"(?:^| )(?:date of birth|birth date|date of death|death date)$"), "DATE_TIME"),
    (re.compile(r"(?:^| )(?:social security|social sec)$"), "US_SSN"),
    (re.compile(r"(?:^| )(?:medical record|med rec)$"), "MEDICAL_RECORD_NUMBER"),
    (re.compile(r"(?:^| )(?:e mail|email|mail) address(?:es)?$"), "EMAIL_ADDRESS"),
    (re.compile(r"(?:^| )e mail$"), "EMAIL_ADDRESS"),
    (re.compile(r"(?:^| )post$"), "ZIP_CODE"),  # XML's <PostCode>, JSON's "postCode" (the "code" is read off)
)
# a UK National Insurance number ("ni_number", "NINO"), a national identity number like a licence's
_NI_NUMBER = re.compile(r"(?:^| )(?:(?:ni|national insurance) (?:number|no|num)|nino)$")
# "X name" is a person's name for these X (a bare "name", or "drug name", "company name", is not)
_PERSON_QUALIFIERS = frozenset(
    """first last given family middle maiden full legal preferred birth christian sur fore patient pt customer
    client member cardholder holder contact guarantor subscriber insured beneficiary spouse partner guardian
    parent mother father kin physician doctor dr nurse employee applicant borrower tenant caller person
    emergency child son daughter husband wife resident student passenger driver witness""".split()
)
# "first": "zebulon", "last": "quartermaine", FHIR's {"family": "Okafor", "given": ["Chidi"]}
_PERSON_LABELS = frozenset(["first", "last", "given", "family"])  # FHIR's HumanName: given, family
# "ip address", "mac address" ... are not street addresses
_NOT_STREET = frozenset("ip ipv4 ipv6 mac email mail e web url wallet server host bitcoin".split())

_NO_VALUE = frozenset(
    "n/a na none null nil unknown unk redacted declined withheld tbd yes no true false".split()
    + ["not provided", "not applicable", "not known", "-", "--", "?"]
)

_NAME_TOKEN = r"[^\W\d_]+(?:['’\-.][^\W\d_]+)*\.?"
_SHAPES = {
    "PERSON": re.compile(rf"(?:{_NAME_TOKEN},\s*)?{_NAME_TOKEN}(?:\s+{_NAME_TOKEN}){{0,3}}"),
    "LOCATION": re.compile(rf"{_NAME_TOKEN}(?:\s+{_NAME_TOKEN}){{0,3}}"),
    "US_SSN": re.compile(r"\d{3}[- .]?\d{2}[- .]?\d{4}"),
    "PHONE_NUMBER": re.compile(r"\+?[\d\s().\-/]+(?:\s*(?:x|ext\.?|extension)\s*\d{1,6})?", re.IGNORECASE),
    "ZIP_CODE": re.compile(
        r"\d{3,6}(?:-\d{3,4})?|\d{3}[ ]\d{2}|\d{4}[ ]?[A-Z]{2}|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[A-Z]\d[A-Z][\s-]?\d[A-Z]\d"
        r"|[ACDEFHKNPRTVWXY]\d[\dW][ ]?[\dACDEFHKNPRTVWXY]{4}",  # Brazil, Czechia, the Netherlands, Ireland too
        re.IGNORECASE,
    ),
    "MEDICAL_RECORD_NUMBER": re.compile(r"(?=\D*\d)[A-Z0-9][A-Z0-9\-./# ]{2,29}", re.IGNORECASE),
    "DATE_TIME": re.compile(r"(?=\D*\d)[^\n]{4,40}"),
    "EMAIL_ADDRESS": re.compile(r"[^\s@]+@[^\s@]+"),
    # a number and a word ("12 Oak"), or two words ("The Old Rectory, Church Lane")
    "STREET_ADDRESS": re.compile(r"(?=[\W\d_]*[^\W\d_])(?=\D*\d|\S+\s+\S)[\s\S]{4,200}"),
    "ACCOUNT_NUMBER": re.compile(r"(?=(?:\D*\d){4})[A-Z0-9][A-Z0-9\- ]{3,33}", re.IGNORECASE),
    "CREDIT_CARD": re.compile(r"(?:\d[ -]?){11,18}\d"),
    "IBAN_CODE": re.compile(r"[A-Z]{2}\d{2}[A-Z0-9 ]{10,32}", re.IGNORECASE),
}
_PHONE_DIGITS = (7, 15)


def humanize(key: str) -> str:
    """A key in lower-case words: "first_name", "firstName", "First Name", "first-name" -> "first name";
    "address1" -> "address 1"; "Phone #" -> "phone"."""
    s = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])", " ", key)
    return " ".join(re.sub(r"[\W_]+", " ", s).lower().split())


def column(key: str) -> tuple[str | None, str | None]:
    """(label, entity) for values under `key`: the label to analyse them with (None: none, for prose keys and
    long keys), and the entity the key says its values are (None: the key does not say)."""
    return _column(key) if len(key) <= 2 * MAX_LABEL_CHARS else (None, None)  # long keys: not cached


@functools.lru_cache(maxsize=4096)
def _column(key: str) -> tuple[str | None, str | None]:
    words = humanize(key)
    if not words or len(words) > MAX_LABEL_CHARS:
        return None, None
    entity = _entity(words)
    if entity is not None:
        return CANONICAL_LABEL[entity], entity
    if words.split()[-1] in PROSE_WORDS:
        return None, None
    return words, None


def _entity(words: str) -> str | None:
    if _NI_NUMBER.search(words):  # (said before "number" is read off: a payslip's "NI" column is an amount)
        return "LICENSE_NUMBER"
    tokens = words.split()
    while tokens and (tokens[-1].isdigit() or (len(tokens) > 1 and tokens[-1] in _SUFFIX_WORDS)):
        tokens.pop()
    if not tokens:
        return None
    core = " ".join(tokens)
    for rx, entity in _LAST_PHRASES:
        if rx.search(core):
            return entity
    last, before = tokens[-1], tokens[-2] if len(tokens) > 1 else ""
    if words in _PERSON_LABELS or (last in ("name", "names") and before in _PERSON_QUALIFIERS):
        return "PERSON"
    entity = _LAST_WORD.get(last)
    if entity == "STREET_ADDRESS" and before in _NOT_STREET:
        return None
    return entity


def no_value(value: str) -> bool:
    """Whether a value says there is none ("N/A", "unknown", "none", "-", "yes"): such a value under a label is
    not analysed (the name-label rule took "name: none" for a name, and "name: n/a" became "<PERSON>/a")."""
    return value.strip().lower() in _NO_VALUE


def fits(entity: str, v: str) -> bool:
    """Whether `v` (stripped) has the shape of `entity`'s values (a name of at most four words, nine digits, 7 to
    15 phone digits ...) and is not a "there is none" value; False for an entity without a known shape."""
    shape = _SHAPES.get(entity)
    if shape is None or not v or len(v) > MAX_VALUE_CHARS or no_value(v) or not shape.fullmatch(v):
        return False
    return entity != "PHONE_NUMBER" or _PHONE_DIGITS[0] <= sum(c.isdigit() for c in v) <= _PHONE_DIGITS[1]


def column_entity(scrubber: Scrubber, entity: str | None, value: str) -> tuple[int, int] | None:
    """The span of `value` (without surrounding white space) that the column rule makes `entity`, or None:
    the policy does not scrub that entity, the value has not that kind's shape, says "unknown", or is on
    the policy's allow-list."""
    if entity is None or entity not in scrubber.entities:
        return None
    start = len(value) - len(value.lstrip())
    end = len(value.rstrip())
    v = value[start:end]
    if not fits(entity, v):
        return None
    allow = getattr(scrubber, "_allow", None)  # as the engine applies it: never to a person
    if allow is not None and entity != "PERSON" and allow.fullmatch(v):
        return None
    return start, end


def value_result(
    scrubber: Scrubber, res: TextResult, value: str, offset: int, forced: tuple[str, int, int] | None
) -> TextResult:
    """The result for `value` from the result of its labelled text (`value` starts at `offset` there), with
    the column rule's finding `forced` (entity, start, end in `value`) added unless one finding already covers
    that span. Findings and residual findings are cut to the value; the residual risk and the record rules
    are the value's."""
    if offset == 0 and forced is None:
        return res
    n = len(value)

    def clip(fs: list[Finding]) -> list[Finding]:
        out = []
        for f in fs:
            s, e = max(f.start - offset, 0), min(f.end - offset, n)
            if e > s:
                out.append(Finding(f.entity_type, s, e, f.score, f.operator, f.recognizer))
        return out

    findings, residual = clip(res.findings), clip(res.residual)
    if forced is not None:
        entity, s, e = forced
        if not any(f.start <= s and f.end >= e for f in findings):
            findings = _merge(findings + [Finding(entity, s, e, COLUMN_SCORE, recognizer="ColumnLabel")])
            for f in findings:
                f.operator = scrubber.operator_name(f.entity_type)
    return _rebuilt(scrubber, res, value, findings, residual)


def _rebuilt(
    scrubber: Scrubber, res: TextResult, value: str, findings: list[Finding], residual: list[Finding]
) -> TextResult:
    """`value`'s result with these findings (spans of `value`, not overlapping) and residual findings: the
    residual risk and the record rules recomputed, the findings applied."""
    residual = _uncovered(residual, findings)
    keep = 1.0
    for f in residual:
        keep *= 1.0 - f.score
    risk = round(1.0 - keep, 6)
    # a drop for an entity or for the time limit holds for the whole analysed text (fail closed: a label is the
    # value's own key, in the record too); the residual risk is the value's own
    drop = res.drop_reason if res.drop_reason != "residual_risk" else None
    hit = sorted({f.entity_type for f in findings if f.entity_type in scrubber.drop_entities})
    if drop is None and hit:
        drop = f"entity:{hit[0]}"
    bound = scrubber.policy.record_rules.max_residual_risk
    if drop is None and bound is not None and risk > bound:
        drop = "residual_risk"
    text = value if drop or not findings else scrubber.anonymize(value, findings)
    return TextResult(text, findings, residual, risk, drop)


# the spaCy NER's recognizer (recognizers.FilteredSpacyRecognizer; named here so that importing this module does
# not import Presidio)
NER_RECOGNIZER = "FilteredSpacyRecognizer"


def known_column(key: str) -> bool:
    """Whether `key` is a column name this module knows (it names an identifier's kind or a kind of prose):
    such a key is not scrubbed ("Zip Code", "First Name", "notes")."""
    return len(key) <= 2 * MAX_LABEL_CHARS and _known_column(key)


@functools.lru_cache(maxsize=4096)
def _known_column(key: str) -> bool:
    words = humanize(key)
    if not words or len(words) > MAX_LABEL_CHARS:
        return False
    return _entity(words) is not None or words.split()[-1] in PROSE_WORDS


def key_result(scrubber: Scrubber, res: TextResult, key: str) -> TextResult:
    """The result for an object's key, analysed alone. In a key of one word (no white space: `metadata`,
    `Config`, `zip_code`), the NER's guesses are not taken: alone, without a sentence, the small NER model tags
    a few per cent of ordinary field names as a person or a place (8 of 401 common lower-case field names,
    27 of them capitalized); the pattern and label rules (e-mail, phone, SSN, dates, ids) still apply."""
    if any(c.isspace() for c in key) or not any(f.recognizer == NER_RECOGNIZER for f in res.findings):
        return res
    findings = [f for f in res.findings if f.recognizer != NER_RECOGNIZER]
    return _rebuilt(scrubber, res, key, findings, res.residual)


def rename_keys(obj: dict[str, Any], new: dict[str, str]) -> None:
    """Rename keys of `obj` in place (`new`: old -> new name, for changed keys only), in the object's order.
    A key that did not change keeps its name; a changed key whose new name is taken gets " (2)", " (3)" ..."""
    taken = {k for k in obj if k not in new}
    items = []
    for k, v in obj.items():
        name = new.get(k, k)
        if k in new:
            if name in taken:
                i = 2
                while f"{name} ({i})" in taken:
                    i += 1
                name = f"{name} ({i})"
            taken.add(name)
        items.append((name, v))
    obj.clear()
    obj.update(items)
