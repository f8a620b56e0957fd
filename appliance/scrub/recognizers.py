"""Custom Presidio recognizers: what vanilla Presidio with a small spaCy pipeline misses.

All of them are ordinary Presidio `EntityRecognizer`s registered in the analyzer's registry, so the
analyzer's context enhancer, thresholds, de-duplication and allow-lists apply to them as to the predefined
ones. Each returns spans with a score; the policy's thresholds decide.

- `ContextNameRecognizer`: names after titles and labels ("Dr. Okafor", "Patient: jane roe", "my name is ..."),
  "Last, First", ALL CAPS and lower case names from a given-name/surname gazetteer.
- `StreetAddressRecognizer`: street number + name + type (US/UK/AU), European forms ("Hauptstraße 5",
  "12 rue de Rivoli", "Via Roma 15"), units, PO boxes, and the ", City, ST 12345" tail.
- `PostalCodeRecognizer`: US ZIP after a state or a label, UK and Canadian postcodes.
- `FullDateRecognizer`: dates in numeric, ISO, and month-name forms (never a bare year).
- `AgeOver89Recognizer`: ages over 89 (HIPAA).
- `IntlPhoneRecognizer`: US and international numbers; candidates by regex, `+CC` ones checked by phonenumbers.
- `LabelledIdRecognizer`: MRN, account, health-plan, licence, vehicle and device identifiers by their label.
- `CardDataRecognizer`: CVV/CVC and card expiry by label.
- `ChecksumPatternRecognizer`: policy-defined regex recognizers with a checksum validator.
- `FilteredSpacyRecognizer`: spaCy NER results minus drug names, abbreviations and non-name shapes.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any, NamedTuple

import regex as re
from presidio_analyzer import EntityRecognizer, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import SpacyRecognizer
from spacy.lang.en.stop_words import STOP_WORDS as _SPACY_STOP_WORDS

from appliance.scrub import lexicons as lx
from appliance.scrub.validators import VALIDATORS, card_ok, iban_ok, luhn_ok, npi_ok, ssn_ok, vin_ok


def _result(rec: EntityRecognizer, entity: str, start: int, end: int, score: float) -> RecognizerResult:
    return RecognizerResult(
        entity_type=entity,
        start=start,
        end=end,
        score=score,
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: rec.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: rec.id,
        },
    )


_WORD_RUN = re.compile(r"\w+")


class WordIndex(NamedTuple):
    """The words (\\w runs) of one text, for gates. `runs`: (start, form) of each word, the form in lower case
    for an ASCII word and as written for any other. `words`: the distinct forms of its ASCII words.
    `foreign`: some word has a non-ASCII character. The patterns' case-insensitive matching folds some of those
    unlike `lower` ("ſ" matches "s", "K" the Kelvin sign "k"), so such a word is never ruled out by its form.
    `lower`: the text in lower case, where a case-insensitive pattern's ASCII literal ("usd") can only match
    where `lower` has it; None when the text has one of `_FOLDS_TO_ASCII` (see `has_literal`)."""

    text: str | None
    runs: list[tuple[int, str]]
    words: set[str]
    foreign: bool
    lower: str | None


# The only characters outside ASCII that the `regex` module's case-insensitive matching (version 0, the
# default: simple case folding) matches to an ASCII letter or digit: "İ" to "i", "ſ" to "s", the Kelvin sign
# to "k" (checked over every code point against [a-z0-9] and each letter).
_FOLDS_TO_ASCII = ("\u0130", "\u017f", "\u212a")

_last_words: list[WordIndex] = [WordIndex(None, [], set(), False, None)]


def word_index(text: str) -> WordIndex:
    """The text's `WordIndex`, remembered for the last text, as one tuple replaced whole (threads may scrub at
    once): the recognizers and keep-phrases of one analysis share it."""
    last = _last_words[0]
    if last.text is text:
        return last
    if text.isascii():
        low = text.lower()
        runs = [(m.start(), m.group()) for m in _WORD_RUN.finditer(low)]
        last = WordIndex(text, runs, {w for _, w in runs}, False, low)
    else:  # word by word: `lower` may change a non-ASCII text's length, and with it the offsets
        runs = [(m.start(), _ascii_lower(m.group())) for m in _WORD_RUN.finditer(text)]
        words = {w for _, w in runs if w.isascii()}
        low = None if any(c in text for c in _FOLDS_TO_ASCII) else text.lower()
        last = WordIndex(text, runs, words, len(words) < len({w for _, w in runs}), low)
    _last_words[0] = last
    return last


def has_literal(text: str, folded: tuple[str, ...], exact: tuple[str, ...] = ()) -> bool:
    """Gate: the text holds one of `folded` (ASCII, lower case) as a case-insensitive pattern matches it, or
    one of `exact` as written. A case-insensitive match of an ASCII literal is that literal in `lower` unless
    the text has a character of `_FOLDS_TO_ASCII` (then True: not ruled out). `lower` maps each character on
    its own, so a match's characters stay together in it; characters it adds only make the gate pass more."""
    if any(x in text for x in exact):
        return True
    low = word_index(text).lower
    return low is None or any(x in low for x in folded)


def _ascii_lower(word: str) -> str:
    """An ASCII word in lower case; any other word as it is (never turned into an ASCII form)."""
    return word.lower() if word.isascii() else word


def ascii_lower_words(text: str) -> set[str] | None:
    """The distinct words (\\w runs) of a text in lower case; None when one of them has a non-ASCII character,
    where a gate cannot rule a match out (see `WordIndex`)."""
    index = word_index(text)
    return None if index.foreign else index.words


def words_gate(forms: Iterable[str]) -> Callable[[str], bool]:
    """Gate: the text has one of `forms` as a whole word (or a word with a non-ASCII character)."""
    wanted = frozenset(f.lower() for f in forms)

    def gate(text: str) -> bool:
        words = ascii_lower_words(text)
        return words is None or not wanted.isdisjoint(words)

    return gate


# Where a match can start. A pattern that begins with a word character after `\b` (or a look-behind that puts
# no word character before it) begins at the start of a word (\w run): a registered test of the word's form
# (lower case for an ASCII word) names the words where it can, and the pattern is tried there only instead of
# at every position of the text (`matches_at`). A word with a non-ASCII character is always tried (see
# `WordIndex.foreign`).
_START_TESTS: list[Callable[[str], bool]] = []
_start_rules: dict[str, tuple[int, ...]] = {}  # word form -> the indices of the tests that accept it (bounded)
_last_starts: list[tuple[str | None, list[list[int]]]] = [(None, [])]
# first character of an ASCII word -> the tests that can accept a word starting with it (a test's `firsts`: the
# first characters of the words it accepts, where known; of a set's `__contains__`, its words' first characters);
# made on first use after the tests are registered
_START_FIRSTS: list[frozenset[str] | None] = []
_tests_by_first: list[dict[str, tuple[int, ...]] | None] = [None]


def with_firsts(test: Callable[[str], bool], firsts: Iterable[str]) -> Callable[[str], bool]:
    """`test`, saying that it accepts only words that start with one of `firsts` (lower case)."""
    test.firsts = frozenset(firsts)  # type: ignore[attr-defined]
    return test


def _firsts(test: Callable[[str], bool]) -> frozenset[str] | None:
    known = getattr(test, "firsts", None)
    if known is not None:
        return known
    words = getattr(test, "__self__", None)
    if isinstance(words, frozenset) and getattr(test, "__name__", "") == "__contains__":
        return frozenset(w[0] for w in words if w)
    return None


def start_test(test: Callable[[str], bool]) -> int:
    """Register a test of a word's form for `start_lists` (at import, before any text is read); its index."""
    for i, known in enumerate(_START_TESTS):
        if known == test:
            return i
    _START_TESTS.append(test)
    _START_FIRSTS.append(_firsts(test))
    _start_rules.clear()
    _tests_by_first[0] = None
    return len(_START_TESTS) - 1


def _by_first() -> dict[str, tuple[int, ...]]:
    known = _tests_by_first[0]
    if known is None:
        firsts = list(_START_FIRSTS)
        known = {
            c: tuple(k for k, f in enumerate(firsts) if f is None or c in f)
            for c in "abcdefghijklmnopqrstuvwxyz0123456789_"
        }
        _tests_by_first[0] = known
    return known


def start_lists(text: str) -> list[list[int]]:
    """For each registered test, the starts (in order) of the text's words it accepts. Remembered for the last
    text, as one tuple replaced whole (threads may scrub at once); each distinct form is judged once."""
    last = _last_starts[0]
    if last[0] is text:
        return last[1]
    tests = list(_START_TESTS)
    lists: list[list[int]] = [[] for _ in tests]
    cache = _start_rules
    if len(cache) > 200_000:
        cache.clear()
    every = tuple(range(len(tests)))
    by_first = _by_first()
    for i, w in word_index(text).runs:
        rules = cache.get(w)
        if rules is None:
            if w.isascii():  # a \w run: its first character is a letter, a digit or "_" (lower case)
                rules = tuple(k for k in by_first.get(w[0], every) if tests[k](w))
            else:
                rules = every
            cache[w] = rules
        for k in rules:
            lists[k].append(i)
    _last_starts[0] = (text, lists)
    return lists


def _positions(text: str, c: str) -> list[int]:
    out = []
    i = text.find(c)
    while i >= 0:
        out.append(i)
        i = text.find(c, i + 1)
    return out


class Starts:
    """A rule's gate that names where its matches can begin: the words `test` accepts (see `start_lists`) and
    the characters `signs`; `pre` (optional) is a plain gate checked first."""

    def __init__(
        self,
        test: Callable[[str], bool] | None,
        signs: str = "",
        pre: Callable[[str], bool] | None = None,
        text_start: bool = False,
    ):
        self.index = start_test(test) if test is not None else None  # None: at no word
        self.signs = signs
        self.pre = pre
        self.text_start = text_start  # also at the text's start (a pattern that opens with `^`)
        self._last: tuple[str | None, list[int] | None] = (None, None)  # (text, positions), replaced whole

    def positions(self, text: str) -> list[int] | None:
        """Where a match can begin, in order; None (or empty) when there is no such place or `pre` rules the
        text out. Remembered for the last text (rules that share a `Starts` ask for the same text in turn)."""
        last = self._last
        if last[0] is text:
            return last[1]
        starts = start_lists(text)[self.index] if self.index is not None else []
        if self.signs or self.text_start:
            at = [i for c in self.signs if c in text for i in _positions(text, c)]
            if self.text_start:
                at.append(0)
            if at:
                starts = sorted(set(starts).union(at))
        if starts and self.pre is not None and not self.pre(text):
            starts = None
        self._last = (text, starts)
        return starts


def matches_at(rx: Any, text: str, starts: list[int]) -> list[Any]:
    """`rx.finditer(text)`'s non-empty matches, given every position where a match can start (in order): the
    first candidate at or after the previous match's end where `rx` matches is where `finditer` would find the
    next match, and `match` there gives the same match (look-behinds and `\\b` still see the text before it)."""
    out = []
    end = 0
    for i in starts:
        if i < end:
            continue
        m = rx.match(text, i)
        if m is not None and m.end() > m.start():
            out.append(m)
            end = m.end()
    return out


def prefix_test(*heads: str, exact: tuple[str, ...] = ()) -> Callable[[str], bool]:
    """A word-form test for `Starts`: the word begins with one of `heads` or is one of `exact`. For a pattern
    that opens with `\\b` and alternative keywords, `heads` are the keywords' characters up to their first
    non-word character ("mr" of "mr\\s*#", "a" of "a/c"), so the word a match begins at starts with one."""
    wanted = frozenset(exact)
    return with_firsts(lambda word: word.startswith(heads) or word in wanted, [h[0] for h in heads + exact])


def _digits(low: int, high: int) -> Callable[[str], bool]:
    """A word-form test: a number of `low` to `high` digits."""
    return with_firsts(lambda word: low <= len(word) <= high and word.isdigit(), "0123456789")


# a word that starts with a digit (`\\b\\d`, or a look-behind that puts no word character before the digit)
DIGIT_FIRST = prefix_test("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")


def _x12_gate(text: str) -> bool:
    """X12 EDI segments ("NM1*IL*1*...~")."""
    return "*" in text and "~" in text


class _RegexRecognizer(EntityRecognizer):
    """Base: a list of (entity, compiled regex, score, group, validator[, gate]) rules. A gate is a cheap
    necessary condition of a match (`gate(text)` False: the rule cannot match, its regex is not run), or a
    `Starts` that names the positions where a match can begin (the regex is tried there only)."""

    RULES: list[tuple[Any, ...]] = []
    FLAGS = re.IGNORECASE

    def __init__(self, entities: Iterable[str], language: str = "en", context: list[str] | None = None):
        rules = [r for r in self.RULES if r[0] in set(entities)]
        self._rules = [(e, re.compile(rx, self.FLAGS), s, g, v, *gate) for e, rx, s, g, v, *gate in rules]
        # each rule with its gate sorted out once: (entity, regex, score, group, validator, Starts, plain gate)
        self._plan = [
            (e, rx, s, g, v, gate[0] if gate and isinstance(gate[0], Starts) else None,
             gate[0] if gate and not isinstance(gate[0], Starts) else None)
            for e, rx, s, g, v, *gate in self._rules
        ]  # fmt: skip
        super().__init__(
            supported_entities=sorted({r[0] for r in rules}) or ["NONE"],
            name=self.__class__.__name__,
            supported_language=language,
            context=context,
        )

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001, ANN201
        out = []
        wanted = entities if isinstance(entities, (set, frozenset)) else frozenset(entities)
        for entity, rx, score, group, validate, starts_gate, gate in self._plan:
            if entity not in wanted:
                continue
            if starts_gate is not None:
                starts = starts_gate.positions(text)
                if not starts:
                    continue
                matches = matches_at(rx, text, starts)
            elif gate is None or gate(text):
                matches = rx.finditer(text)
            else:
                continue
            for m in matches:
                if type(group) is tuple:  # a label's value: (the group reported, the group its validator judges)
                    start, end = m.span(group[0])
                    if start < 0 or end <= start or (validate is not None and not validate(m.group(group[1]))):
                        continue
                    # a label before a colon or "=" stays out ("MRN: <MEDICAL_RECORD_NUMBER>"); one written into the
                    # phrase is read with its value, as people quote it ("licence no. 982451", "Acct 12345678")
                    value_start = start
                    start = _code_prefix(text, m.start(), start) if _LABEL_END.search(text, m.start(), start) else m.start()
                    result = _result(self, entity, start, end, score)
                    result.recognition_metadata[LABEL_START] = m.start()
                    result.recognition_metadata[VALUE_START] = value_start
                    out.append(result)
                    continue
                start, end = m.span(group)
                if start < 0 or end <= start:
                    continue
                if validate is not None and not validate(text[start:end]):
                    continue
                out.append(_result(self, entity, start, end, score))
        return out


_LABEL_END = re.compile(r"[:=]")
# where a labelled value's label begins and where its value begins, in the finding's metadata (the engine keeps
# other findings off the label: "Kundennummer", "NMC PIN" are no names), whether or not the finding holds the label
LABEL_START = "label_start"
VALUE_START = "value_start"


def _code_prefix(text: str, label_start: int, start: int) -> int:
    """The start of a value after a label's colon, taking in a code of capitals that the label's match took but
    that is written as part of the number ("Reg: HPCSA MP 3474172", "Case: REF/2024/96551"): two to five capitals
    joined to the value by a space, "/" or "-"; not the label's own word ("Member ID: ...")."""
    if start - label_start < 3 or text[start - 1] not in " /-":
        return start
    k = start - 1
    while k > label_start and "A" <= text[k - 1] <= "Z":
        k -= 1
    if 2 <= start - 1 - k <= 5 and (k == label_start or text[k - 1] in " \t(.:#"):
        if text[start - 1] == " " and text[k : start - 1] in _LABEL_CODES:
            return start  # "Member ID XJH8830021": the label's own word
        return k
    return start


_LABEL_CODES = frozenset(["ID", "NO", "NR", "NUM", "REF", "CODE", "PIN", "ACCT", "AC"])


# ---------------------------------------------------------------------------------------------------------
# Names

_NAME_TOKEN = r"(?:[^\W\d_](?:[^\W\d_]|['’\-](?=[^\W\d_]))*)"
_TOKEN_RX = re.compile(_NAME_TOKEN)
_TITLE_RX = re.compile(
    r"(?<![\w.])(?:" + "|".join(re.escape(t) for t in lx.TITLES) + r")\.?(?=\s)", re.IGNORECASE
)
_TITLE_WORDS = frozenset(t.casefold() for t in lx.TITLES) - {"don", "doña", "sir", "dame"}  # also given names
_STRONG_LABELS = [lb for lb in lx.NAME_LABELS if lb not in ("from", "to", "cc", "best", "im")]
_LABEL_RX = re.compile(
    # without a colon, the name is on the label's line ("Relationship: mother\nNOK tel:" names nobody)
    r"(?<![\w])(?:" + "|".join(_STRONG_LABELS) + r")(?:\s*[:\-,]\s*|[ \t]+)(?=[^\W\d_])", re.IGNORECASE
)
_WEAK_LABEL_RX = re.compile(r"(?<![\w])(?:from|to|cc|best|im)(?:\s*[:\-,]\s*|\s+)(?=\w)", re.IGNORECASE)
_LAST_FIRST_RX = re.compile(
    r"(?<![\w'’-])(" + _NAME_TOKEN + r"),\s+(" + _NAME_TOKEN + r")(?:\s+([^\W\d_])\.?)?(?![\w'’-])"
)
_INITIAL_RX = re.compile(r"\s+[^\W\d_]\.(?=\s)")
_MORE_INITIALS_RX = re.compile(r"\p{Lu}\.[ ]")
# Labels that name people only with a colon after them (without one they are ordinary words: "symptoms present
# since", "15 minutes later"). A list label takes every name of its comma-separated list ("Present: Ji-woo Field
# (chair), Joshua, Rigoberto").
_COLON_LABEL_RX = re.compile(
    r"(?<![\w])(?:(?P<list>present|attendees|attending|apologies|absent|participants|cc|invitees|panel|staff|"
    # (a will's, a rota's and a household's lists: "Executors: Sunday and Linda Williams", "Staff: Astrid, Andriy")
    r"executors?|attorneys?|trustees|guardians?|children|siblings|volunteers|carers|on[ -]call|cover|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|shift[ \t]+lead|team)"
    r"|minutes|minute[ -]taker|note[ -]?taker|chair(?:ed\s+by|person)?|nurse\s+in\s+charge|nic|landlord|"
    r"tenants?(?:\(s\))?|employee(?:\s+name)?|borrower|co-?borrower|ordering\s+customer|account\s+name|driver|"
    r"parent|carer|contact\s+person|scribe|facilitator|interviewer|interviewee|officer|handler|assignee|"
    r"reporter|owner|assigned\s+to|author|scrub(?:\s+nurse)?|anaesthetist|anesthetist|anaesthesiologist|"
    r"anesthesiologist|hr\s+approval|approval|loan\s+officer|analyst|case\s*worker|social\s+worker|advis[eo]r|"
    r"consultant|registrar|sho|midwife|therapist|pharmacist|technician|vaccinator|given\s+by|administered\s+by|"
    r"interpreter|translator|key\s+worker|care\s+coordinator|counsel|solicitor|attorney|notary|agent\s+name|"
    r"verified\s+with|staff\s+member|guest|triage\s+(?:rn|nurse)|rn|commit(?:ter)?|signed-off-by|co-authored-by|"
    r"reviewed-by|requester|requestor|caller\s+name|underwriter|broker|adjuster|fee\s+earner|manager|supervisor|"
    r"typist|reviewer|approver|assessor|engineer|technician|surveyor|inspector|operative|courier|driver|"
    # labels that name a name's part: whatever follows is the name ("Surname: SMITH", "Names: LUCY")
    r"(?P<pure>surname|forenames?(?:\s+or\s+initials)?|first\s+names?|last\s+name|family\s+name|given\s+names?|"
    r"names)|judgment\s+(?:creditor|debtor)|"
    r"conveyancer|victim|suspect|defendant|claimant)"
    r"(?:[ \t]+\d)?\s*\Z",
    re.IGNORECASE,
)
# a form's name field, its label followed by dotted leaders or a wide gap instead of a colon, OCR'd or not
# ("Surname ............ MCCARTHY", "1.1 Surname      HUNTER", "5urname: AGYEMAN", "Name (PRINT) Dr Sana Iqbal",
# "PATIENT'5 NAME (Last, First) MEND0ZA, JEROME"); the value may carry an OCR digit ("MAS0N", "O'5ULLIVAN")
_FORM_NAME_FIELD_RX = re.compile(
    r"(?im)(?<![\w])(?:[s5]ur[ ]?name|fore[ ]?names?(?:[ ]?\(s\))?|first[ ]names?|last[ ]name|family[ ]name|"
    r"given[ ]names?|name[ ]?\(print(?:ed)?\)|name[ ]of[ ]patient|patient(?:['’][s5]|5|s)?[ ]name(?:[ ]\(last,[ ]first\))?|"
    r"employee['’]s[ ]first[ ]name(?:[ ]and[ ]initial)?|[s5]igned)"
    r"[ \t]*(?:\.{2,}[ \t]*|[ \t]{2,}|:[ \t]*|[ \t](?=[A-Z0-9'’]{2,}(?:[ ,]|$)))(?:(?:dr|mr|mrs|ms|miss|prof)\.?[ ]+)?"
    r"(?P<v>(?=[\w'’-]*[^\W\d_][\w'’-]*[^\W\d_])[^\W_][\w'’-]*(?:,?[ ][^\W_][\w'’-]*){0,3})"
    r"(?=[ \t]*(?:$|\n|[ \t]{2,}|[,:~|]|\\n))"
)
_AUTHOR_LINE_RX = re.compile(
    r"(?m)^(?P<v>\p{Lu}[\p{Ll}'’-]+(?:[ ]\p{Lu}[\p{Ll}'’-]+){1,2})[ \t]{2,}"
    r"(?:\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2})[ ,]+\d{1,2}:\d{2}(?::\d{2})?[ \t]*$"
)
# a payee in a bank export's cell: a surname in capitals and an initial ("KING J", "NIKOLAIDIS D")
_SURNAME_INITIAL_CELL_RX = re.compile(
    r"(?<=[\",|\t;])[ ]?(?P<v>[A-Z][A-Z'’-]{1,30}(?:[ ][A-Z][A-Z'’-]{1,30})?[ ][A-Z])(?=[ ]?[\",|\t;])"
)
# a bank export's words that a cell of a word and a letter can hold ("CASH D", "ATM W"): no payee
_NOT_PAYEE_WORDS = frozenset(
    "cash debit credit order transfer payment atm pos fee int chq dd so bgc tfr dep wdl refund salary rent bill "
    "card loan interest charge".split()
)
_NO_VALUE = frozenset("unknown none n/a na nil tbc tba withheld redacted blank not".split())
# a pronoun's contraction ("Hi, you're chatting with ...", "hi it's summer smith"): no part of a name
_PRONOUN_CONTRACTION = r"(?:you|we|they|i|it|he|she|that|there|who|what|here|let)['’](?:re|s|m|ll|ve|d)"
_CONTRACTION = re.compile(_PRONOUN_CONTRACTION)  # (matched on lower case)
_CONTRACTION_FIRST = re.compile(rf"(?i){_PRONOUN_CONTRACTION}[ ]+")
_CONTRACTION_LAST = re.compile(rf"(?i)\s+{_PRONOUN_CONTRACTION}$")
_FILLERS = frozenset("hiya hey hello heya oh erm um uh ah ahh hmm yeah yep ta thx".split())


def _without_contractions(text: str, results: list[Any], english: Any) -> list[Any]:
    """Names that a rule began at a pronoun's contraction, without it ("hi it's summer smith": "summer smith");
    a contraction alone, or with one English word that is no name ("that's right", "i've lost"), is no name."""
    out = []
    for r in results:
        if r.entity_type == "PERSON":
            m = _CONTRACTION_FIRST.match(text, r.start, r.end)
            if m:
                rest = text[m.end() : r.end].casefold()
                if m.end() >= r.end or (" " not in rest and english and rest in english and rest not in _ANY_NAME_WORD):
                    continue
                r.start = m.end()
            elif _CONTRACTION.fullmatch(text[r.start : r.end].casefold()):
                continue
            m = _CONTRACTION_LAST.search(text, r.start, r.end)
            if m and m.start() > r.start:
                rest = text[r.start : m.start()].strip(" ,.!").casefold()
                if " " not in rest and (rest in _ANSWER_WORDS or rest in _FILLERS or (
                    english and rest in english and rest not in _ANY_NAME_WORD
                )):
                    continue  # "Hi, I'm", "we hope it's": no name
                r.end = m.start()  # "kevin i've": the name before the contraction
        out.append(r)
    return out
_AFTER_COLON_RX = re.compile(r":[ \t]*(?:\n[ \t]*)?(?=\S)")  # the value may be on the next line
_LIST_NEXT_RX = re.compile(r"(?:\s*\([^()\n]{1,30}\))?\s*(?:,|;|\band\b|&)\s*")
# "its friederike saleh", "it's Tomasz", "thank u yulia": chat-style introductions and thanks; the words after
# them are a name only where each reads as one (a gazetteer name, or not an English word)
# a given name alone after a note's last sentence, at the text's end ("... Next visit: Tue 23 Sep. Faith")
_NAME_AT_END_RX = re.compile(r"[.!?][ \t]+(?P<v>\p{Lu}\p{Ll}+)[ \t]*(?:\\n|\n)?[ \t\"}\]]*\Z")
_INTRO_RX = re.compile(
    # ("Thanks all, Amrik", "many thanks everyone - Jo": who signs after whom they thank)
    r"(?<![\w'’])(?:it'?s|it’s|thank\s+u|thanks|thx|ty)(?:\s+(?:all|everyone|both|again|team|guys|so\s+much)[ \t]*[,!.-])?\s+"
    r"(?=[^\W\d_])",
    re.IGNORECASE,
)
_HERE_INTRO_RX = re.compile(
    r"(?im)(?:^|[\]>:]\s*)(?:hi|hey|hello|dear|good\s+(?:morning|afternoon|evening))\b[^\n,]{0,25},[ \t]*"
    r"(?:(?:it'?s|this\s+is)[ \t]+)?(?P<v>[^\W\d_][\w'’-]+(?:[ ][^\W\d_][\w'’-]+)?)[ ]here\b"
)
_NOT_HERE = frozenset(
    "i me we us it its this that who nurse doctor dr mum mom dad son daughter wife husband patient family team "
    "everyone someone somebody nobody reception pharmacy admin office support manager".split()
)
# the parties of a case in a court list or a citation ("RAHMAN v RAHMAN", "Zhi Hao Lee v GOH", "Grace Okafor v
# HOPE"): capitalized words on each side of "v"; a side that names a body ("Lloyds Bank", "HMRC") is no person
_CASE_CAPTION_RX = re.compile(
    r"(?<![\w'’-])(?P<a>\p{Lu}[\p{L}'’-]+(?:[ ]\p{Lu}[\p{L}'’-]+){0,3})[ ]v\.?[ ]"
    r"(?P<b>\p{Lu}[\p{L}'’-]+(?:[ ]\p{Lu}[\p{L}'’-]+){0,3})(?![\w'’-])"
)
_CASE_LEAD_WORDS = frozenset("in the see per case re and of cf also under following".split())
_BODY_WORDS = frozenset(
    "bank plc ltd limited llp llc inc corp corporation society council borough county authority trust nhs police "
    "ministry secretary state commissioners hmrc revenue group insurance assurance building partners company co "
    "university school college hospital board commission department agency services holdings association union "
    "republic crown kingdom government city estates homes housing".split()
)


# a patient's message signed in lower case on its last line ("...i hope i dont have to miss work\n-xiomara",
# "...god bless\nfrantz célestin"): one to three lower-case words alone on the line where the message ends (the
# text's end, a blank line, a chat template's marker, the end of a JSON string)
_LOWER_SIGNATURE_RX = re.compile(
    r"(?m)(?:^|(?<=\n))-?[ \t]*(?P<v>\p{Ll}[\p{Ll}'’-]+(?:[ ]\p{Ll}[\p{Ll}'’-]+){0,2})[ \t]*"
    r"(?=\Z|\n[ \t]*\n|\n?[ \t]*(?:\[/?INST\]|<\||<\/s>|\"|###|(?:assistant|response|output)\b))"
)
# a name in brackets after a time at a line's start: the author of a CRM or log note ("01/25/2022 01:30 [grace]")
_BRACKET_AUTHOR_RX = re.compile(
    r"(?m)^[^\n\[]{0,30}?\b(?:\d{1,2}[:.]\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?|\d{4}\s?(?:h|hrs)\b\.?)\s*"
    r"\[(?P<v>[^\]\n\d]{2,40})\]",
    re.IGNORECASE,
)
_INITIAL_SURNAME = re.compile(r"\p{Lu}\.[ ]?\p{Lu}[\p{Ll}'’-]+(?:[ -]\p{Lu}[\p{Ll}'’-]+)?")
_NOT_AUTHORS = frozenset(
    "info warn warning error err debug trace fatal critical crit notice alert emerg ok system admin bot auto cron "
    "root sys daemon api web app db n/a na none unassigned tbd tba".split()
)
# Initials that stand for a person where a note's author or handler is named ("Typed by JM", "Minutes agreed by HS",
# "Handover given by GK to FS", "Analyst DF", "Fee earner: ME", "01:40 DH: payment made", "... 22 July 2020 - RK").
# Two or three capitals (a lower-case letter between: "SjY"); what comes before decides, and an abbreviation of
# a role, a unit, a time zone or a body (`_NOT_INITIALS`) is never taken.
_INITIALS_RX = re.compile(
    r"(?<![\w'’&/.@])(?<!\w-)(?:\p{Lu}(?:\p{Ll}?\p{Lu}){1,2}(?![\w'’&/@-]|\.\w)|\p{Lu}\.(?:\p{Lu}\.){1,2}(?![\w'’&/@-]))"
)  # "JM", "SjY", and with full stops "E.R.", "C.W.R."; after a dash of its own ("-JJ"), not in a word ("X-RAY")
_INITIALS_BEFORE_RX = re.compile(  # searched backwards from the initials (REVERSE: the `\Z` end is tried first)
    r"(?r)(?:(?P<by>(?i:\b(?:typed|dictated|transcribed|agreed|given|approved|authori[sz]ed|signed|handled|reviewed|"
    r"checked|verified|entered|completed|prepared|witnessed|countersigned|actioned|seen|triaged|taken|recorded|"
    r"written|minuted|updated|amended|closed|opened|logged|noted|compiled|screened|assessed|administered|"
    r"issued|booked|escalated|received|dispensed|vaccinated|processed)[ \t]+by)[ \t]*:?[ \t]+(?:\p{Lu}(?:\p{Ll}?\p{Lu}){1,2}[ \t]+"
    r"(?i:to)[ \t]+)?)"
    r"|(?P<label>(?i:\b(?:analyst|employee|manager|fee[ \t]+earner|handler|adjuster|underwriter|author|"
    r"typist|clinician|officer|assessor|reviewer|approver|case[ \t]?worker|adviser|advisor|supervisor|checker|"
    r"vaccinator|pharmacist|dispenser|checked|witness|approved|clinician|agent|"
    r"authori[sz]ed|verified|technician|engineer|review|notes))[ \t]*:?[ \t]*)"
    # a signature's or initials' own label (a form's "Signed | JRC", "Signature: NG"): whatever letters stand there
    r"|(?P<signlabel>(?i:\b(?:signature|signed|initials|firmado|firma(?:\s+del?\s+\w+)?|handtekening(?:en)?))"
    r"[ \t]*[:|]?[ \t]*)"
    # the second of two signatures ("Firmado: J.G. / TPN")
    r"|(?P<pair>(?i:\b(?:signature|signed|firmado|firma))[ \t]*:?[ \t]*\p{Lu}(?:\.?\p{Lu}){1,3}\.?[ \t]*/[ \t]*)"
    r"|(?P<nameparen>\b(?i:dr|mr|mrs|ms|miss|prof)\.?[ \t]+\p{Lu}[\p{L}'’]+(?:[ -]\p{Lu}[\p{L}'’]+)?[ \t]+\()"
    r"|(?P<paren>\()|(?P<thanks>(?i:\b(?:thanks|thx|cheers|regards))[ \t]+)"
    r"|(?P<time>\b\d{1,2}:\d{2}(?::\d{2})?[ \t]+\[?)"
    r"|(?P<dash>(?:\d|(?i:consultation|call|review|visit|note|entry|contact))(?:[ \t]+|[ \t]*\n)[-–—][ \t]*)"
    # a signature line ("-- KS"), and a date or time then "by" at a line's end ("Last reviewed 26.8.25 by AA")
    r"|(?P<sig>(?m:^)(?:--|—)[ \t]*)|(?P<byline>\d[^\n]{0,12}?[ \t\n](?i:by)[ \t]+)"
    # an e-mail signature's first line under "--" ("--\nSAB | Sunfield Care Homes | (01) 561 8982"), and "by" and the
    # initials ending a record's line after a gap ("site: L deltoid  by TL"; not a sentence's "caused by MS")
    r"|(?P<sigblock>(?m:^)--[ \t]*\n)|(?P<byend>[ \t]{2}(?i:by)[ \t]+)"
    # initials on their own line under a sign-off and its name ("Kind regards,\nEsperanza Iglesias\nEI")
    r"|(?P<signoff>(?i:\b(?:regards|sincerely|thanks|cheers|best\s+wishes))[,.!]?[ \t]*\n(?:[^\n]{2,40}\n)?)"
    # alone on the line after a note's last sentence, before a blank line or the end ("...if swelling.\nRM\n\n")
    r"|(?P<alone>[.!?][ \t]*\n)"
    # at a log entry's end, after its last sentence ("... No new concerns. JW\n", "Sent to coding queue. -J.N.")
    r"|(?P<entry>[.!?][ \t]+[-–—]?[ \t]?)"
    # a medication chart's row: who gave, refused or withheld the dose ("GIVEN  IB", "WITHHELD - asleep  NT")
    r"|(?P<mar>(?-i:\b(?:GIVEN|REFUSED|WITHHELD|OMITTED|ADMINISTERED|DECLINED|NOT[ ]GIVEN))(?:[ \t]*-[ \t]*[a-z][a-z ]{0,20})?[ \t]{1,6})"
    r"|(?P<re>(?i:\bre):?[ \t]+)"
    # a file note's or a check's author ("File note CP 11th August 2021", "Requested by: CS   Date:", "Checked: LN on")
    r"|(?P<note>(?i:\bfile[ \t]+note|\brequested[ \t]+by|\bchecked|\binitials)[ \t]*:?[ \t]*)"
    # a clinician's initials in brackets after the name ("Discussed with Dr Davies (CAD) who agrees"), an action's
    # owner ("Action: PM by 20 October"), the second of two who saw someone ("Seen by AO and AN on 7 Jan"), a JSON
    # note's author ('"author": "UD"'), a rota's cell ("| CM (RN) |"), a note's sign-off line with its date ("- H.L.D.
    # 26/3/25", "seen CM 9/9/21", "signed G.M.T. 17.03.2023"), a quoted e-mail's last line ("> Ta, OK")
    r"|(?P<action>(?i:\baction)[ \t]*:[ \t]*)"
    r"|(?P<and>(?i:\b(?:seen|reviewed|visited)[ \t]+by)[ \t]+\p{Lu}(?:\.?\p{Lu}){1,2}\.?[ \t]+(?i:and)[ \t]+)"
    r"|(?P<jsonauthor>\"(?i:author|initials)\"[ \t]*:[ \t]*\")"
    r"|(?P<cell>\|[ \t]+)"
    r"|(?P<dateline>(?m:^)(?:[-–—]|(?i:seen|signed|scen|secn))[ \t]+)"
    r"|(?P<quoted>(?m:^)>[ \t]+(?:(?i:ta|thanks|cheers),?[ \t]+)?))\Z"
)
# a clinician's credentials after a name or initials (`lexicons.CREDENTIALS`)
_CREDENTIAL_ALT = "|".join(sorted((re.escape(c) for c in lx.CREDENTIALS), key=len, reverse=True))
_CREDENTIAL_GATE = re.compile(rf"(?<![\w-])(?:{_CREDENTIAL_ALT})(?![\w-])")
_INITIALS_CREDENTIAL_RX = re.compile(
    rf"(?<![\w'’&/.@=-])(?P<v>\p{{Lu}}(?:\.?\p{{Lu}}){{1,3}}\.?)(?=,?[ \t]+(?:{_CREDENTIAL_ALT})(?![\w=-]))"
)
_NAME_CREDENTIAL_RX = re.compile(
    rf"(?<![\w'’-])(?P<v>\p{{Lu}}[\p{{Ll}}'’]+(?:-\p{{L}}[\p{{Ll}}'’]+)?(?:[ ](?:\p{{Lu}}\.|\p{{Lu}}[\p{{Ll}}'’]+(?:-\p{{L}}[\p{{Ll}}'’]+)?)){{0,3}})"
    rf",[ \t]*(?:{_CREDENTIAL_ALT})(?![\w=-])"
)
_CREDENTIAL_NAME_PLACE = re.compile(r"(?:^|\n|\\n|\b(?i:to|by|from|with)[ ])\Z")
_TYPIST_RX = re.compile(
    r"(?m)\b(?i:typed|dictated|transcribed)(?:[ \t]+by)?[ \t]*:?[ \t]+(?P<v>[a-z]{2,3})(?=[ \t]+\d|[ \t]*(?:\\n|$))"
)
_NOT_TYPIST = frozenset("by on up in at to and the for out via as of".split())
_SIGNED_NAME_RX = re.compile(
    r"\b(?i:signature)(?:\(s\))?[ \t]*:?[ \t]+(?P<v>\p{Lu}[\p{L}'’-]+(?:[ ]\p{Lu}[\p{L}'’-]+){0,2})(?=[ \t]{2,}(?i:date)\b)"
)
_INITIALS_DATE_RX = re.compile(
    r"(?m)^[ \t]*(?P<v>\p{Lu}{2,3})/(?=\d{1,4}[ /.-]|(?i:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b)"
)
_AFTER_INITIALS_RX = {
    "label": re.compile(r"[ \t]*(?:\n|$)|[ \t]{2,}|[,;.)]|[ \t]+\d"),
    "signlabel": re.compile(r"[ \t]*(?:\n|$)|[ \t]{2,}|[,;.)]|[ \t]+\d|[ \t]*/[ \t]*\p{Lu}"),
    "pair": re.compile(r"[ \t]*(?:\n|$)"),
    "time": re.compile(r"\]?:|\][ \t]"),
    "dash": re.compile(r"[ \t]*(?:\n|$)"),
    "sig": re.compile(r"[ \t]*(?:\n|$)"),
    "sigblock": re.compile(r"[ \t]+\|[ \t]"),
    "byend": re.compile(r"[ \t]*(?:\n|$)"),
    "byline": re.compile(r"[ \t]*(?:\n|$)"),
    "signoff": re.compile(r"[ \t]*(?:\n|$)"),
    "alone": re.compile(r"[ \t]*(?:\n[ \t]*\n|\n?$)"),
    "entry": re.compile(r"[ \t]*(?:\n|$|\[/?INST\]|<\||\"|\\n)"),
    "mar": re.compile(r"[ \t]*(?:\n|$|\\n)"),
    "re": re.compile(r"[ \t]+[-–—:]"),
    "note": re.compile(r"[ \t]+(?:\d|on\b|(?i:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b)|[ \t]{2,}|[ \t]*(?:\n|$)"),
    "paren": re.compile(r"\)[ \t]*(?:\n|$)"),  # "...kept in custody. (OL)" at a note's end
    "thanks": re.compile(r"[ \t]*(?:\n|$)"),
    "nameparen": re.compile(r"\)"),
    "action": re.compile(r"[ \t]+(?i:by|to)\b"),
    "and": re.compile(r"[ \t]+(?i:on)\b"),
    "jsonauthor": re.compile(r"\""),
    "cell": re.compile(r"[ \t]+\((?i:rn|hca|bank|csw|sn|en|agency|nurse|student|rgn|rmn)\)"),
    "dateline": re.compile(r"[ \t]+\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"),
    "quoted": re.compile(r"[ \t]*(?:\n|$)"),
}
# where only a person's initials stand (a signature's place), even the letters of an abbreviation are initials
# ("-- BP", "Collected: 6 July 2024 17:00 by SC"); never a time zone or a word. Not after a date and a dash: a
# heading names its unit so ("Nursing handover 31/05/2023 00:45 - ICU")
_SIGNATURE_PLACES = frozenset(["sig", "byline", "signoff", "signlabel", "pair"])
_NEVER_INITIALS = frozenset(
    """
    AM PM UTC GMT BST CET CEST EST EDT CST CDT PST PDT IST AEST AEDT NZST SGT HKT JST KST MST
    OK NA NB PS RE FW FWD FYI CC BCC TBC TBA TBD ASAP EOD COB ETA AKA NFA NKA NKDA
    UK US USA EU UN UAE NZ
    """.split()
)
_NOT_INITIALS = frozenset(
    """
    AM PM UTC GMT BST CET CEST EST EDT CST CDT PST PDT IST AEST AEDT NZST SGT HKT JST KST MST
    OK NA NB PS RE FW FWD FYI CC BCC TBC TBA TBD ASAP EOD COB ETA AKA NFA NKA NKDA
    UK US USA EU UN UAE NZ
    GP MDT OT PT SLT SALT ED AE ICU ITU HDU CCU NICU PICU OR IV IM SC SQ PO PR NG NJ PEG ENT OPD ER EMS EMT RN NP
    PA MD HCA CNS SHO SPR FY RMO CMO DN HV CT MRI ECG EKG EEG USS CXR AXR DNA RNA HIV TB COPD CKD AKI UTI DVT PE MI
    CVA TIA BP HR RR GCS NEWS IT QA QC KC CEO CFO CTO COO CIO VP SVP HQ MP PC DC DS DI DCI CID CPS SFO NCA NHS DWP
    HMRC DVLA CQC FCA PRA ICO HSE GMC NMC SRA FOS CMA ONS WHO CDC FDA CMS SMS MMS API SQL PDF CSV XML URL IP VPN SSO
    MFA OTP PIN CVV SSN DOB MRN NI VAT PAYE ATM POS BACS CHAPS FPS DD SO BGC TFR SEPA BIC CIF KYC AML PEP SAR TV AI
    ML AR VR ERR DBG SYS LOG WRN BOT CRM CSR IVR SLA KPI HSA FSA IRA ACH EFT LLP LTD PLC INC BV NV SA SL AG
    NBM DNR DNAR NAD SOB TTO FBC LFT LFTS UE CRP ESR INR ABG VBG OBS AKA BKA ROM ADL ADLS SOS STAT PRN QDS TDS BD OD
    EOB PPO HMO EPO POS DME SNF LTC ALF ICF IOP PHP CPT DRG NDC HCPCS ICN TAT UM UR IRO PBM OTC EOL DOA DOS ROS HPI
    """.split()
)
# an initial glued to a surname ("D.King", "N.Mokoena"): a name where the surname is one
_GLUED_INITIAL_RX = re.compile(r"(?<![\w.@/:-])\p{Lu}\.(?P<s>\p{Lu}\p{Ll}{2,})(?:-\p{Lu}\p{Ll}+)?(?![\w@/-]|\.\w)")
# a vCard's structured name ("N:Lacson;Rommel;;;"), an X12 person ("NM1*IL*1*ODUKOYA*ADEWALE****34*...")
_GLUED_NOT_NAMES = frozenset(
    "africa america americas ireland korea wales carolina dakota island islands sudan yorkshire london east west "
    "north south central".split()
)
_VCARD_N_RX = re.compile(r"(?m)^N:(?P<v>[^;:\n]+;[^;:\n]+)")
# who a person is to another, in brackets after or beside their name
_RELATIONS = (
    r"daughter|son|wife|husband|partner|spouse|mother|father|mum|mom|dad|sister|brother|carer|friend|neighbour|"
    r"neighbor|niece|nephew|aunt|uncle|cousin|grand(?:daughter|son|mother|father|ma|pa)|step(?:son|daughter|mother|"
    r"father)|fianc[ée]e?|girlfriend|boyfriend|next[ ]of[ ]kin|nok"
)
_NAME_RELATION_RX = re.compile(
    r"(?<![\w'’-])(?P<v>\p{Lu}\p{Ll}+(?:[ -]\p{Lu}\p{Ll}+)?)[ ]\((?i:(?:his|her|their|the[ ]patient['’]s|pt['’]s|my|our)[ ])?"
    rf"(?i:{_RELATIONS})(?:[,;][^)\n]{{0,30}})?\)"
    # ... or inside them, before it ("Family aware (Giorgos, partner)")
    r"|\((?P<w>\p{Lu}\p{Ll}+(?:[ -]\p{Lu}\p{Ll}+)?),[ ]?(?i:(?:his|her|their|the[ ]patient['’]s)[ ])?"
    rf"(?i:{_RELATIONS})\)"
)
_SWIFT_NAME_RX = re.compile(r"/NAME/(?P<v>[^\W\d_][^/\n]{1,60}?)(?=/|\n|$)")
_DOCUMENT_NAME_RX = re.compile(
    r"(?m)^[ \t]*(?i:surname|given[ \t]+names?|forenames?|first[ \t]+names?)[ \t]+"
    r"(?P<v>\p{Lu}[\p{Lu}'’-]+(?:[ ]\p{Lu}[\p{Lu}'’-]+){0,3})[ \t]*$"
)
_DOCUMENT_NAME_GATE = re.compile(r"(?i)urname|given|forename|first[ \t]+name")
_LICENCE_NAME_RX = re.compile(r"(?m)^[ \t]*[12]\.[ \t]+(?P<v>\p{Lu}[\p{Lu}\d'’-]+(?:[ ]\p{Lu}[\p{Lu}\d'’-]+){0,3})[ \t]*$")
_MRZ_NAME_RX = re.compile(r"(?m:^)[PIAC][A-Z<][A-Z<]{3}(?P<v>[A-Z]+(?:<[A-Z]+)*<<[A-Z]+(?:<[A-Z]+)*)")
_X12_NAME_RX = re.compile(r"\bNM1\*[A-Z0-9]{2}\*1\*(?P<v>[^*~\n]+\*[^*~\n]+)")
# a police officer by rank and number ("Sgt 1348 Chun Xu", "PC 8029 Burton", "DC 4767 Venter")
# a surname in capitals, then the given name ("DAHL Kristoffer", "ABU-ZEID Hassan", "TUILAGI Tama"): a register's or
# a ward list's way of writing a name
_CAPS_GIVEN_RX = re.compile(
    r"(?<![\w'’.-])(?P<sur>\p{Lu}{2,}(?:['’-]\p{Lu}+)*(?:[ ]\p{Lu}{2,}(?:['’-]\p{Lu}+)*){0,2})[ ]"
    r"(?P<given>\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?)(?![\w'’-]|[ ]\p{Lu}\p{Ll})"
)
# a fixed-width record's name cell: an initial and a surname in capitals between wide gaps ("0927 P KAMINSKI      FLAT 6")
_FIXED_WIDTH_NAME_RX = re.compile(
    r"(?:(?<=\d[ ])|(?<=[ ]{2})|(?<=\t))(?P<v>(?![AI][ ])\p{Lu}[ ]\p{Lu}[\p{Lu}'’-]{2,}(?:[ ]\p{Lu}[\p{Lu}'’-]+)?)(?=[ ]{3,}|\t|[ ]*$)",
    re.MULTILINE,
)
_BADGE_NAME_RX = re.compile(
    r"\b(?:PC|DC|DS|DI|DCI|DSupt|PCSO|Sgt|Insp|Officer|Constable|Sergeant)\.?[ ]\d{2,6}[ ]"
    r"(?P<v>\p{Lu}[\w'’-]+(?:[ ]\p{Lu}[\w'’-]+)?)"
)
# an airline's or a booking system's "SURNAME/GIVEN MR" ("PRETORIUS/TENDAI MR", "DOHERTY/CIARAN MS")
_SLASH_NAME_RX = re.compile(
    r"(?<![\w/])(?P<v>\p{Lu}[\p{Lu}'’-]+(?:[ ]\p{Lu}[\p{Lu}'’-]+)?/\p{Lu}[\p{Lu}'’-]+(?:[ ]\p{Lu}[\p{Lu}'’-]+)?)"
    r"[ ]?(?:MR|MRS|MS|MISS|MSTR|DR|PROF|MX|REV)\b"
)
# a nickname: 'aka "Lil T"', "also known as 'Smokey'"
_AKA_RX = re.compile(r"(?i)\b(?:aka|a\.k\.a\.?|also\s+known\s+as|known\s+as|nicknamed|goes\s+by)\s+[\"“'‘](?P<v>[^\"”'’\n]{2,30})[\"”'’]")
# a user name in a path or a log ("C:\\Users\\jdizon\\", "/home/samira.alhashimi/", "user=mprice", an access log's
# "10.0.0.1 - togundipe [19/May/2023..."): made from a person's name more often than not, and as identifying
# (each form behind its own literal gate: `_user_names`)
_USER_PATH_RX = re.compile(r"(?i)(?:[a-z]:\\{1,2}users\\{1,2}|/(?:home|users)/)(?P<v>[a-z][\w.\-]{1,40})(?=[\\/])")
# frames in which a capitalised word is someone's name (care notes, messages, transcripts): "Ask Liberty to ring
# me", "Tell Blessing the bill ...", "his neighbour Chase", "our colleague Justice", "Pilar's stepdaughter", a note
# signed "... - Frank" at its line's end, "repositioned by Kirsteen.", "Will pass to Lei.", "Swaps via Charity only",
# 'Ruby hasn't been eating', "Dolores told us"
_NAME_WORD_CAP = r"(?P<v>\p{Lu}[\p{Ll}'’]+(?:-\p{L}[\p{Ll}]+)?)"
_RELATION_WORDS = (
    r"mum|mother|mom|dad|father|son|daughter|sister|brother|wife|husband|partner|friend|neighbou?r|carer|colleague|nan|"
    r"gran|grandson|granddaughter|grandma|grandmother|grandad|grandfather|uncle|aunt|auntie|cousin|niece|nephew|"
    r"stepson|stepdaughter|stepmother|stepfather|stepmum|stepdad|fianc[ée]e?|boyfriend|girlfriend|flatmate|siblings?"
)
# (strong frames: someone's relation, a possessive of what a person has, quoted speech about someone)
_RELATION_FRAME_RX = re.compile(
    rf"(?<=\b(?i:my|his|her|their|your|our|the)[ ])(?i:{_RELATION_WORDS})[ ]{_NAME_WORD_CAP}(?![\w'’-]|[ ]\p{{Lu}})"
)
_RELATION_STARTS = Starts(prefix_test(exact=tuple(_RELATION_WORDS.replace("?", "").replace("[ée]", "e").split("|"))
                                      + ("neighbor", "sibling", "fiancée", "fiance")))
_POSSESSIVE_FRAME_RX = re.compile(
    rf"(?<![\w'’-]){_NAME_WORD_CAP}['’]s[ ](?:{_RELATION_WORDS}|appointment|appt|account|carer|medication|meds|"
    r"birthday)\b"
)
_SPEECH_FRAME_RX = re.compile(
    rf"[\"“]{_NAME_WORD_CAP}(?=[ ](?:hasn['’]t|has[ ]been|isn['’]t|wasn['’]t|told|said|wants|needs)\b)"
    rf"|(?<![\w'’-]){_NAME_WORD_CAP}(?=[ ]told[ ]us\b)"
)
# (weak frames: a name there only if the word reads as one)
_ASK_FRAME_RX = re.compile(
    rf"(?i:ask|tell|remind|asked|told)[ ]{_NAME_WORD_CAP}(?=[ ](?:to|the|that|about|if|whether)\b)"
)
_ASK_STARTS = Starts(prefix_test(exact=("ask", "tell", "remind", "asked", "told")))
_SIGNED_FRAME_RX = re.compile(rf"(?m:(?<=[.!?\"'”)][ ]{{1,2}}[-–—][ ]){_NAME_WORD_CAP}[ \t]*$)")
_BY_FRAME_RX = re.compile(
    r"(?i:repositioned|seen|visited|checked|reviewed|supported|escorted|assisted|pass|passed|handed|escalated|swaps)"
    rf"[ ](?:by|to|via|over[ ]to)[ ]{_NAME_WORD_CAP}(?=[.,]|[ ]only\b)"
)
_BY_STARTS = Starts(prefix_test(exact=("repositioned", "seen", "visited", "checked", "reviewed", "supported", "escorted",
                                       "assisted", "pass", "passed", "handed", "escalated", "swaps")))
_NEVER_FRAMED = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december team reception ward office admin staff policyholder patient client "
    "customer claimant tenant resident caller child baby member applicant insured deceased".split()
) | frozenset(_RELATION_WORDS.replace("?", "").replace("[ée]", "e").split("|"))


def _frame_names(text: str) -> Iterator[tuple[Any, bool]]:
    """(match, strong) of the frames' names."""
    yield from ((m, True) for m in matches_at(_RELATION_FRAME_RX, text, _RELATION_STARTS.positions(text) or []))
    if "'s " in text or "’s " in text:
        yield from ((m, True) for m in _POSSESSIVE_FRAME_RX.finditer(text))
    if " told us" in text or '"' in text or "“" in text:
        yield from ((m, True) for m in _SPEECH_FRAME_RX.finditer(text))
    yield from ((m, False) for m in matches_at(_ASK_FRAME_RX, text, _ASK_STARTS.positions(text) or []))
    if " - " in text or " – " in text or " — " in text:
        yield from ((m, False) for m in _SIGNED_FRAME_RX.finditer(text))
    yield from ((m, False) for m in matches_at(_BY_FRAME_RX, text, _BY_STARTS.positions(text) or []))


_USER_KEYS = ("user=", "username=", "login=", "uid=", "usr=", "u=", "account=", "acct_name=", "logon=", "_by=")
_USER_KV_RX = re.compile(
    r"(?i)\b(?:user(?:name)?|login|uid|usr|u|account|acct_name|logon|(?:requested|approved|created|updated|modified|"
    r"assigned|reviewed|performed|done)_by)=[\"']?(?P<v>[a-z][\w.\-]{1,40}?)[\"']?(?=[\s,;&|)]|$)"
)
# a case log's or an audit export's author between a row's date and its text ("2023-12-31 | wsweet | Record: ...",
# "24-Mar-2023 | samuel.clarke | Employee: ..."): an account's name, lower case
_LOG_ROW_USER_RX = re.compile(
    r"(?m)^[ \t]*(?:\d{4}-\d{2}-\d{2}|\d{1,2}[-/.](?:\d{1,2}|[A-Za-z]{3})[-/.]\d{2,4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
    r"[ \t]*\|[ \t]*(?P<v>[a-z][a-z0-9]*(?:[._-][a-z0-9]+){0,2})[ \t]*\|"
)
# a log's or an audit export's account in JSON ('"staff":"bill_tewhare"', '"user": "asmith"'; in JSON escaped inside a
# string, analysed with blanks for its backslashes: '  "user  ":  "bill_chatterjee  "')
_USER_JSON_RX = re.compile(
    r"(?i)[\"'](?:user(?:name|_?id)?|staff(?:_?id)?|login|author|created_?by|updated_?by|modified_?by|assigned_?to|"
    r"owner|agent|actor|clinician|operator)[ ]{0,7}[\"']\s*:\s*[\"'](?P<v>(?-i:[a-z][a-z0-9]*(?:[._-][a-z0-9]+){0,2}))"
    r"[ ]{0,7}[\"']"
)
# a log's account by the verb after it ("INFO user nikaut acknowledged alarm", "opened 2023-09-13 by agent guptas8")
_USER_DID_RX = re.compile(
    r"\b(?:user|agent|operator)[ ](?P<v>[a-z][a-z0-9]*(?:[._][a-z0-9]+)?)"
    r"(?=[ ](?:[a-z]+ed|logged|signed|viewed|opened|closed|reset|changed|exported|printed)\b|[ ]*(?:$|\n|\\n))",
    re.MULTILINE,
)
_ACCESS_LOG_RX = re.compile(r"(?im)^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]{3,39})[ ]-[ ](?P<v>[a-z][\w.\-]{1,40})[ ]\[")
_BRACKET_LOG_RX = re.compile(r"(?m)^\[[^\]\n]{8,30}\][ ](?P<v>[a-z][a-z0-9]*(?:[._][a-z0-9]+)?)[ ][A-Z]{4,12}\b")
# an SSH log's account ("Failed password for jiwoo.lee from 172.29.164.110", "Accepted publickey for gtaylor from")
_SSH_USER_RX = re.compile(
    r"\b(?:password|publickey|keyboard-interactive(?:/pam)?)[ ]for[ ](?:invalid[ ]user[ ])?(?P<v>[a-z][\w.\-]{1,40})[ ]from\b"
)
# a chat export's handles: a message's author on its own line before the time ("riccis4  00:03", "mariag  15:38",
# "chiamaka.nwachukwu  2024-04-18 00:22") and an @mention ("@riccis4 the nightly export failed")
_HANDLE_LINE_RX = re.compile(
    r"(?m)^(?P<v>[a-z][a-z0-9]*(?:[._-][a-z0-9]+){0,2})[ \t]{1,4}(?:\d{4}-\d{2}-\d{2}[ ])?\d{1,2}:\d{2}"
    r"(?:[ ]?[AaPp][Mm])?[ \t]*$"
)
_MENTION_RX = re.compile(r"(?<![\w@.])@(?P<v>[A-Za-z][\w.\-]{1,40}[A-Za-z0-9])(?![\w@]|\.[A-Za-z]{2,}\b)")
_NOT_MENTIONS = frozenset("here channel everyone all team admin admins support bot".split())


def _user_names(text: str) -> Iterator[Any]:
    lower = text.lower()
    if "users\\" in lower or "/home/" in lower or "/users/" in lower:
        yield from _USER_PATH_RX.finditer(text)
    if "=" in text and any(k in lower for k in _USER_KEYS):
        yield from _USER_KV_RX.finditer(text)
    if " - " in text and "[" in text:
        yield from _ACCESS_LOG_RX.finditer(text)
    if "] " in text:
        yield from _BRACKET_LOG_RX.finditer(text)
    if " for " in text and " from " in text:
        yield from _SSH_USER_RX.finditer(text)
    if '":' in text or "':" in text or '" :' in text:
        yield from _USER_JSON_RX.finditer(text)
    if "@" in text:
        yield from (m for m in _MENTION_RX.finditer(text) if m.group("v").casefold() not in _NOT_MENTIONS)
_NOT_USERS = frozenset(
    "root admin administrator system guest anonymous nobody service svc www-data postgres mysql daemon jenkins "
    "ubuntu ec2-user default public shared test user users unknown null none".split()
)
# HL7 v2 person names (PID-5, NK1-2, PV1-7 ...): "|ACHEAMPONG^ADWOA^O|", "|3174162993^CUSHING^VICTORIA^^^^MD|"
_HL7_SEGMENT_RX = re.compile(r"(?m)^(?:PID|NK1|PV1|PV2|GT1|IN1|IN2|ORC|OBR|PD1|ROL|MRG|TXA)\|[^\n]*")
_HL7_MIDDLE_RX = re.compile(r"\^(?P<m>\p{L}[\p{L}'’.-]{0,30})(?=[\^|~\n]|$)")
_HL7_NAME_RX = re.compile(r"(?<=[|^~])(?P<f>\p{L}[\p{L}'’ -]{1,30})\^(?P<g>\p{L}[\p{L}'’ -]{1,30})(?=[\^|~]|$)")
# fields that hold a person's name by their place: (segment, field) -> index of the family-name component.
# XPN names start with the family name (PID-5 "GOH^MAI"), XCN names after an id (PV1-7 "4412^LI^BO").
_HL7_NAME_FIELDS = {
    ("PID", 5): 0, ("PID", 6): 0, ("PID", 9): 0, ("NK1", 2): 0, ("GT1", 3): 0, ("IN1", 16): 0, ("MRG", 7): 0,
    ("PV1", 7): 1, ("PV1", 8): 1, ("PV1", 9): 1, ("PV1", 17): 1, ("ORC", 12): 1, ("OBR", 16): 1, ("PD1", 4): 1,
}  # fmt: skip
# NK1-3 relationships ("MTH^Mother", "SPO^Spouse") are codes with their text, never a name
_HL7_RELATIONS = frozenset(
    "mother father spouse wife husband partner child son daughter brother sister sibling parent guardian friend "
    "grandmother grandfather grandparent aunt uncle cousin niece nephew self other employer emergency carer "
    "stepmother stepfather domestic".split()
)
_HL7_LINE_RX = re.compile(r"(?:^|(?<=[\r\n]))(?P<seg>PID|NK1|PV1|GT1|IN1|MRG|ORC|OBR|PD1)\|[^\r\n]*")
_HL7_NAME_PART_RX = re.compile(r"\p{L}[\p{L}'’ .-]{0,30}")


def _hl7_field_names(text: str) -> Iterator[tuple[int, int]]:
    """Family, given and middle names in the HL7 fields that hold names, by their place: short names ("GOH^MAI",
    "LI^BO^J") that the shape rule leaves alone, since "MD^RN" or "HOSP^MR" elsewhere are codes."""
    for line in _HL7_LINE_RX.finditer(text):
        seg, pos = line.group("seg"), line.start()
        for i, field in enumerate(line.group().split("|")):
            first = _HL7_NAME_FIELDS.get((seg, i))
            if first is not None:
                rep_pos = pos
                for rep in field.split("~"):
                    comp_pos = rep_pos
                    for j, comp in enumerate(rep.split("^")):
                        if first <= j <= first + 2 and _HL7_NAME_PART_RX.fullmatch(comp):
                            yield comp_pos, comp_pos + len(comp)
                        comp_pos += len(comp) + 1
                    rep_pos += len(rep) + 1
            pos += len(field) + 1
# a name spelled out letter by letter ("S - A - L - E - H", "D A R W I S H") near a word about its spelling
_SPELLED_RX = re.compile(r"(?<![\w'’-])(?:[A-Za-z](?:[ ]?-[ ]?|[ ]))(?:[A-Za-z](?:[ ]?-[ ]?|[ ])){2,}[A-Za-z](?![\w-])")
_SPELLING_WORDS_RX = re.compile(
    r"spell|spelt|spelled|that'?s|that’s|that\s+is|last\s+name|surname|first\s+name|family\s+name|name", re.IGNORECASE
)

# Where the title and label patterns can start (`start_lists`): each opens with a look-behind that puts no word
# character before it and an alternative of words, so a match begins at a word that starts with one of their
# first words (a title is a whole word: "." or a blank after it; "dott" of "dott.ssa"; "i" of "i'm", "c" of
# "c/o"), or at the "/" of "/s/".
_TITLE_START = start_test(frozenset(t.casefold().split(".")[0] for t in lx.TITLES).__contains__)
_LABEL_START = start_test(
    prefix_test(
        "patient", "pt", "name", "full", "client", "customer", "card", "account", "member", "beneficiary", "payee",
        "guarantor", "subscriber", "insured", "caller", "requester", "reported", "referred", "seen", "signed",
        "attending", "physician", "provider", "pcp", "surgeon", "emergency", "next", "nok", "spouse", "husband", "wife",
        "partner", "mother", "father", "son", "daughter", "brother", "sister", "guardian", "policy", "dependent",
        "mum", "mom", "dad", "grand", "niece", "nephew", "aunt", "uncle", "cousin", "step", "fianc", "girlfriend",
        "boyfriend",
        "legal", "preferred", "applicant", "witness", "claimant", "complainant", "assistant", "resident", "caregiver",
        "prescriber", "requesting", "referring", "approved", "verified", "opened", "reviewed", "dictated", "prepared",
        "entered", "written", "authori", "handed", "transferring", "ask", "appoint", "chatting", "agent", "rep",
        "dear", "hi", "hello", "hey", "thanks", "thank", "regards", "sincerely", "cheers", "my", "this", "call",
        "spoke", "talked", "speak", "accompanied", "mr", "attn",
        exact=("i", "c"),
    )
)  # fmt: skip
_WEAK_LABEL_START = start_test(frozenset(["from", "to", "cc", "best", "im"]).__contains__)  # whole words


def _label_starts(text: str) -> list[int]:
    starts = start_lists(text)[_LABEL_START]
    if "/" not in text:
        return starts
    return sorted(set(starts).union(_positions(text, "/")))


# `_LAST_FIRST_RX` begins a name token right before a ",": at the start of the letters (and ' ’ -) that end at a
# comma (the look-behind puts no word character, ' ’ or - before it).
_NAME_CHARS_BACK = re.compile(r"(?r)(?:[^\W\d_]|['’\-])+")


def _last_first_starts(text: str) -> list[int]:
    out = []
    c = text.find(",")
    while c > 0:
        m = _NAME_CHARS_BACK.match(text, 0, c)
        if m is not None:
            out.append(m.start())
        c = text.find(",", c + 1)
    return out


# Both words must be name-shaped, which starts with an upper-case letter: the look-aheads let the (overlapped)
# search give up at once on every other word instead of pairing it for Python to reject. Where the second word
# fails, the only other match is the middle initial as second word, and one letter is never name-shaped.
# short words of headings in capitals ("NET PAY", "TAX REF"); other three-letter words may be names ("HAO LIN")
_SHORT_HEADING_WORDS = frozenset(
    "net pay tax ref due gas inc ltd old new end key top sum fee vat box law art gym bed day fax not off".split()
)
_PAIR_RX = re.compile(
    # (not across a wide gap: "Zainab Ahmed   Investigating officer:" is two fields)
    r"(?<![\w'’.-])(?=\p{Uppercase})(" + _NAME_TOKEN + r")(?:[ \t]+[^\W\d_]\.)?(?:[ ]{1,2}|\t)(?=\p{Uppercase})("
    + _NAME_TOKEN
    + r")(?![\w'’-])"
)
_PAIR_TRIGGER_RX = re.compile(r"(?:\b(?:for|with|see|re|by|and|from|to|of)\s+|[:;]\s*|^\s*)$", re.IGNORECASE)
# Lower-case name pairs ("with cosimo oduya regarding"): two lower-case words, optional middle initial.
_LOWER_PAIR_RX = re.compile(
    r"(?<![\w'’./@#-])(\p{Ll}(?:\p{Ll}|['’\-](?=\p{Ll}))+)(?:\s+\p{Ll}\.?)?\s+(\p{Ll}(?:\p{Ll}|['’\-](?=\p{Ll}))+)"
    r"(?![\w'’@/]|[.-]\w)"
)
_LOWER_TRIGGER_RX = re.compile(
    r"(?:(?P<w>\b(?:for|with|see|saw|re|by|and|from|to|of|is|am|named|called|patient|pt|"
    r"client|customer|member|caller|spouse|wife|husband|son|daughter|mother|father|brother|sister|"
    r"beneficiary|contact|user|visitor|guest|resident|tenant|borrower|owner|holder|signed|regards|thanks|"
    r"cheers|dear|hi|hello|hey|mr|mrs|ms|dr)\.?,?\s+|:\s*)|[;,\-–]\s*|^\s*)$",
    re.IGNORECASE,
)
# a speaker label in a transcript: the name, then a colon ("bronwyn oduya: my account is locked")
_SPEAKER_NEXT_RX = re.compile(r"\s*:\s")
_BLANKS_RX = re.compile(r"[ \t]+")
_CAPS_AHEAD_RX = re.compile(r"[A-Z]{2,}(?![\w'’-])")
_LABEL_AHEAD_RX = re.compile(r"[^\W\d_][\w'’-]*(?:[ ][^\W\d_][\w'’-]*){0,2}[ \t]*:")
_SUBJECT_NEXT_RX = re.compile(r"\s+(?!(?:of|and|or|in|on|at|to|for|the)\b)[a-z]{2,}")
_VERB_END = re.compile(r"(?:ed|ing|ly|ies|ness|ment|tion|sion)$")


# a name with a particle ("Hana dos Santos", "Dr de la Fuente", "Babajide E. di Stefano", "Declan Le Gall")
_PARTICLE_RX = re.compile(
    r"(?<![\w'’.-])(?P<pre>[^\W\d_][\w'’-]*\.?)[ \t]+"
    r"(?P<part>(?:(?i:de|van|von|der|den|del|della|la|le|da|di|dos|das|du|ben|bin|binti|bint|binte|ibn|al|el|ter|ten|zu|"
    r"af|ó|ní|nic|uí|ua|mac(?:[ \t]+an)?|ap|ab|verch|ferch|dela|delos|los|las|['’]t)[ \t]+){1,3})"
    # (an Irish surname's eclipsed or prefixed first letter: "Mac an tSaoir", "Ó hAodha")
    r"(?P<sur>(?:\p{Lu}|[tnhbdg]\p{Lu})[\w'’-]+)"
)
_PARTICLES = (
    "de van von der den del della la le da di dos das du ben bin binti bint binte ibn al el ter ten zu af ó ní nic uí ua "
    "mac ap ab verch ferch dela delos"
).split()
_PARTICLE_GATE = words_gate(_PARTICLES)
_PARTICLE_START = start_test(frozenset(_PARTICLES).__contains__)  # a particle is a whole word (blanks around it)
_PRE_BACK = re.compile(r"(?r)[\w'’-]+")


def _particle_starts(text: str) -> list[int]:
    """Where `_PARTICLE_RX` can match: its first word ("pre") is all of the run of word characters, ' ’ and -
    that starts there (nothing of that kind before it, and only "." or blanks after it), then come blanks and
    a particle. So from each particle that follows blanks, the match can only start at the beginning of the
    run that ends before those blanks (and an optional ".")."""
    out = set()
    for q in start_lists(text)[_PARTICLE_START]:
        j = q
        while j > 0 and text[j - 1] in " \t":
            j -= 1
        if j == q:
            continue
        if j > 0 and text[j - 1] == ".":
            j -= 1
        m = _PRE_BACK.match(text, 0, j)
        if m is not None:
            out.add(m.start())
    return sorted(out)


_PLACE_WORDS = frozenset(
    "rue calle via rua chemin allee allée quai paseo carrer camino piazza viale corso largo travessa avenida plaza "
    "place boulevard avenue banco banque universidad université universita hotel hôtel hospital "
    "clinica clínica instituto institut musée museo casa villa porta puerta san santa saint st".split()
)
# a name before its e-mail address ("Halima Little <little.h@example.com>", "From: Minh Little <m@x.org>")
_BEFORE_EMAIL_RX = re.compile(
    r"(?<![\w'’.-])(?P<n>\p{Lu}[\w'’-]+(?:[ \t]+(?:\p{Lu}\.|\p{Lu}[\w'’-]+|(?i:de|van|von|der|den|del|da|dos|di|la|le)))"
    r"{0,3})[ \t]*<[^<>\s@]+@[^<>\s]+>"
)
# the first line of a signature after its "--" delimiter
_SIGNATURE_RX = re.compile(r"(?m)^--[ \t]*\n[ \t]*(?=\p{Lu})")
# a speaker in a transcript, at a line's start ("[07:09] Joy: Hi", "adwoa: hey", "Support (Latoya): Thanks")
_SPEAKER_RX = re.compile(
    r"^[ \t>]*(?P<stamp>\[[^\]\n]{1,25}\][ \t]*|\d{1,2}:\d{2}(?::\d{2})?[ \t]+"
    # a chat export's date and time before the speaker ("17/03/2023, 20:19 - Luke Walker:", "2024-03-05 19:42 Ana:")
    r"|(?:\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}),?[ \tT]+\d{1,2}:\d{2}(?::\d{2})?(?:[ ]?[APap][Mm])?[ \t]+(?:-[ \t]+)?)?"
    r"(?P<who>[^\W\d_][\w'’-]*(?:[ \t][^\W\d_][\w'’-]*|[ \t]\p{Lu}\.?)?)"
    r"(?:[ \t]*\((?P<inner>[^\W\d_][\w'’-]*(?:[ \t][^\W\d_][\w'’-]*)?)\))?"
    # a time after the name, as chat exports write it ("Deepa (6:30 am): ...", "Joy [09:12]: ...")
    r"(?:[ \t]*[(\[][^)\]\n]{0,12}\d{1,2}[:.]\d{2}[^)\]\n]{0,12}[)\]])?:[ \t]",
    re.MULTILINE,
)
_ROLES = frozenset(
    "customer agent user support bot client caller me you system operator advisor adviser rep staff admin member "
    "patient nurse doctor dr tech technician assistant cs csr chat helpdesk service team host guest".split()
)


def _verbish(tok: str) -> bool:
    low = tok.casefold()
    return bool(_VERB_END.search(low)) and low not in lx.GIVEN_NAMES and low not in lx.SURNAMES


def _not_a_name_word(tok: str) -> bool:
    low = tok.casefold()
    return (
        low in lx.NOT_NAMES
        or low in lx.NAME_STOP
        or low in lx.DRUGS
        or low in lx.EPONYMS
        or low in _STREET_TYPE_WORDS
        or low in lx.US_STATES
        or len(low) < 2
    )


def _is_capitalized(tok: str) -> bool:
    return tok[:1].isupper() and (
        tok[1:].islower()
        or "'" in tok
        or "-" in tok
        or "’" in tok
        or (tok[:2] in _CAMEL_HEADS and _CAMEL_NAME_RX.fullmatch(tok) is not None)
    )


# a surname with a capital inside it ("MacKenzie", "McAllister", "DiMaggio", "LeBlanc", "VanDyke")
_CAMEL_NAME_RX = re.compile(r"(?:Mac|Mc|Fitz|Di|De|Da|Du|La|Le|Van|Von)\p{Lu}\p{Ll}+")
_CAMEL_HEADS = frozenset(["Ma", "Mc", "Fi", "Di", "De", "Da", "Du", "La", "Le", "Va", "Vo"])


def _is_caps(tok: str) -> bool:
    return len(tok) >= 2 and tok.isupper()


def _name_shaped(tok: str) -> bool:
    return _is_capitalized(tok) or _is_caps(tok)


def _named_after(text: str, pos: int) -> bool:
    """A name-shaped word, not an ordinary one, follows `pos` after a blank ("April| Suzuki")."""
    sp = _BLANKS_RX.match(text, pos)
    nxt = _TOKEN_RX.match(text, sp.end()) if sp else None
    return bool(nxt) and _name_shaped(nxt.group(0)) and not _not_a_name_word(nxt.group(0))


def _known_name(tok: str) -> bool:
    low = tok.casefold()
    return (low in lx.GIVEN_NAMES or low in lx.SURNAMES) and low not in lx.NOT_NAMES


# a month that is also a surname ("Fatima May", "Dear Ms May:", "Hoang, May"): capitalized, right after a name or a
# title, and no day or year after it ("May 5", "May 2025")
_MONTH_SURNAMES = frozenset(["may"])
_DAY_AFTER = re.compile(r"[ \t]*(?:\d|(?:st|nd|rd|th)\b|of\b)", re.IGNORECASE)


def _month_surname(text: str, m: Any, group: int = 0) -> bool:
    tok = m.group(group)
    return tok.casefold() in _MONTH_SURNAMES and tok[0].isupper() and not _DAY_AFTER.match(text, m.end(group))


# a bank statement's transfer codes, then the other party, then a reference word, an amount or a gap
_PAYEE_CODES = r"(?:FPI|FPO|FPS(?:[ ]TO)?|TFR(?:[ ]TO)?|SO|STO|TRF)"  # (not BGC, DD, CARD: employers, companies)
_PAYEE_REFS = (
    r"REF|RENT|DINNER|GIFT|PARTY|THANKS|BIRTHDAY|LOAN|BILLS|FLAT|FOOD|SHARE|HOLIDAY|XMAS|TICKETS|DEPOSIT|SALARY|"
    r"WAGES|INVOICE|PAYMENT|TAXI|DRINKS|LUNCH|TRIP|REFUND|FEES?|SAVINGS|TAX|MOB|ONLINE|VIA|BANK|CHQ|BACK"
)
_PAYEE_GATE = re.compile(rf"(?<![\w-]){_PAYEE_CODES}[ ]+[A-Z]")
_PAYEE_RX = re.compile(
    rf"(?<![\w-]){_PAYEE_CODES}[ ]+(?P<v>(?:(?:[A-Z]\.?|[A-Z][A-Za-z'’-]+)[ ]){{0,3}}?(?:[A-Z]\.?|[A-Z][A-Za-z'’-]+))"
    rf"(?=[ ]{{2,}}|[ ]*(?:$|\n|,|\t|\|)|[ ]+[-\d£$€]|[ ]+(?:{_PAYEE_REFS})\b)",
    re.MULTILINE,
)


class ContextNameRecognizer(EntityRecognizer):
    """PERSON from titles, labels, "Last, First" and a gazetteer; works in ALL CAPS and lower case."""

    def __init__(self, language: str = "en", english: lx.EnglishWords | None = None):
        # ordinary English words (see lexicons.EnglishWords): without them the lower-case pair rule is off
        self.english = english if english is not None else lx.EnglishWords(frozenset())
        self._evidence: dict[str, int] = {}  # word -> `_lower_name_evidence` (bounded)
        super().__init__(
            supported_entities=["PERSON"],
            name="ContextNameRecognizer",
            supported_language=language,
            context=["patient", "name", "pt", "client", "customer", "member", "holder", "contact"],
        )

    def load(self) -> None:
        pass

    @staticmethod
    def _run(text: str, pos: int, allow_lower: bool, max_tokens: int = 3) -> tuple[int, int] | None:
        """The name that starts at `pos`: up to `max_tokens` name tokens (and middle initials)."""
        start = end = -1
        count = 0
        first_lower = False
        i = pos
        while count < max_tokens:
            m = _TOKEN_RX.match(text, i)
            if not m:
                break
            tok = m.group(0)
            low = tok.casefold()
            if count == 0 and len(tok) == 1 and tok.isupper() and text.startswith((". ", " "), m.end()):
                # initials before the surname ("Agent: P. Balogun", "by J. R. Okafor", "verified by M Hughes"):
                # part of the name if a name follows
                k = m.end() + (2 if text.startswith(".", m.end()) else 1)
                while more := _MORE_INITIALS_RX.match(text, k):
                    k = more.end()
                nxt = _TOKEN_RX.match(text, k)
                if nxt and len(nxt.group(0)) > 1 and _name_shaped(nxt.group(0)) and not _not_a_name_word(nxt.group(0)):
                    start = m.start()
                    i = k
                    continue
            if (low in lx.NAME_STOP or low in lx.NOT_NAMES or low in lx.DRUGS) and not (
                count == 0 and low in lx.AMBIGUOUS_GIVEN and _name_shaped(tok) and _named_after(text, m.end())
            ) and not _month_surname(text, m):  # "Name: April Suzuki", "Policyholder: Will Danjuma": a given name
                # that is also a word; "Dear Ms May:" a surname that is a month
                break
            if count == 0 and low in _TITLE_WORDS:
                break  # "Seen by Dr. Okafor": the title rule finds the name after the title
            if not (_name_shaped(tok) or (allow_lower and tok.islower() and not _verbish(tok))):
                break
            if count and tok.islower() and not first_lower:
                break
            if count == 0:
                first_lower = tok.islower()
            if start < 0:
                start = m.start()
            end = m.end()
            count += 1
            nxt = end
            mi = _INITIAL_RX.match(text, nxt)
            if mi:
                nxt = mi.end()
            sp = _BLANKS_RX.match(text[nxt : nxt + 3])
            if not sp:
                break
            if sp.end() > 1 and _LABEL_AHEAD_RX.match(text, nxt + sp.end()):
                break  # "Signed: RP   Clinician: SC": a wide gap, then the next field's label
            if sp.end() > 1 and not text[start:end].isupper() and _CAPS_AHEAD_RX.match(text, nxt + sp.end()):
                break  # "Dr George Harrison   GMC 4121850": a wide gap, then a field in capitals
            i = nxt + sp.end()
        return (start, end) if start >= 0 and end > start else None

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001, ANN201
        if "PERSON" not in entities:
            return []
        out: list[RecognizerResult] = []
        for m in matches_at(_TITLE_RX, text, start_lists(text)[_TITLE_START]):
            j = m.end()
            while j < len(text) and text[j] in " \t":
                j += 1
            span = self._run(text, j, allow_lower=True)
            if span and self.english and text[span[0]].islower():
                first = _TOKEN_RX.match(text, span[0])
                if first is None or self._lower_name_evidence(first.group(0)) == 0:
                    continue  # "moved to 12 Oak Dr. last week"
            if span:
                out.append(_result(self, "PERSON", *span, 0.85))
        for m in matches_at(_LABEL_RX, text, _label_starts(text)):
            span = self._run(text, m.end(), allow_lower=True)
            if span and self._plausible(text[span[0] : span[1]], strong=True):
                first_word = text[span[0] : span[1]].split()[0].casefold()
                bare = ":" not in m.group() and text[span[0]].islower()  # "Daughter brought in ...": no colon
                if first_word in _STATE_WORDS or first_word in _NO_VALUE or (
                    bare and self.english and all(
                        w in self.english and w not in _ANY_NAME_WORD for w in text[span[0] : span[1]].casefold().split()
                    )
                ):
                    continue  # "Patient: unwell since Monday", "Patient stable overnight": a state, no name
                out.append(_result(self, "PERSON", *span, 0.7))
        colon = text.find(":")
        while colon != -1:  # the label read back from each colon: the rule tried at every position cost more
            m = _COLON_LABEL_RX.search(text, max(0, colon - 40), colon)
            after = _AFTER_COLON_RX.match(text, colon) if m else None
            colon = text.find(":", colon + 1)
            if after:
                pos = after.end()
                while True:
                    span = self._run(text, pos, allow_lower=True)
                    if not span or not (
                        self._reads_as_name(text[span[0] : span[1]])
                        or (
                            m.group("pure")
                            and not _not_a_name_word(text[span[0] : span[1]].split()[0])
                            and text[span[0] : span[1]].split()[0].casefold() not in _NO_VALUE
                        )
                    ):
                        break
                    out.append(_result(self, "PERSON", *span, 0.7))
                    sep = _LIST_NEXT_RX.match(text, span[1]) if m.group("list") else None
                    if not sep:
                        break
                    pos = sep.end()
        if self.english and "." in text:
            # "Next visit: Tue 23 Sep. Faith": a note signed by a given name (its last sentence's end only)
            for m in _NAME_AT_END_RX.finditer(text, max(0, len(text) - 60)):
                low = m.group("v").casefold()
                if (low in lx.GIVEN_NAMES or low in lx.WIDE_GIVEN or low in lx.WORD_GIVEN) and not _not_a_name_word(
                    m.group("v")
                ):
                    out.append(_result(self, "PERSON", *m.span("v"), 0.6))
        if self.english:
            for m in _INTRO_RX.finditer(text):
                span = self._run(text, m.end(), allow_lower=True)
                if span and self._reads_as_name(text[span[0] : span[1]], lower_evidence=2):
                    out.append(_result(self, "PERSON", *span, 0.6))
            if " v " in text or " v. " in text:
                out.extend(self._case_parties(text))
            for m in _LOWER_SIGNATURE_RX.finditer(text):
                words = m.group("v").split()
                ev = [self._lower_name_evidence(w) for w in words]
                if min(ev) >= 1 and max(ev) == 2 and (len(words) > 1 or ev[0] == 2) and not any(
                    w in _NOT_HERE or w in _STATE_WORDS or w in lx.DRUGS for w in words
                ):
                    out.append(_result(self, "PERSON", *m.span("v"), 0.6))
            if " here" in text:
                for m in _HERE_INTRO_RX.finditer(text):  # a greeting, then who writes: "hi dr lee, layla here"
                    words = m.group("v").casefold().split()
                    if not any(w in _NOT_HERE or w in lx.DRUGS for w in words):
                        out.append(_result(self, "PERSON", *m.span("v"), 0.6))
            if "[" in text:
                for m in _BRACKET_AUTHOR_RX.finditer(text):
                    v = m.group("v").strip()
                    # "[I. Chase]", "[B. Field]": an initial and a surname, even one that is a word
                    if _INITIAL_SURNAME.fullmatch(v) or (
                        0 < len(v.split()) <= 3 and self._reads_as_name(v, lower_evidence=2)
                    ):
                        out.append(_result(self, "PERSON", m.start("v"), m.end("v"), 0.6))
        out.extend(self._initials(text))
        if "." in text:
            for m in _GLUED_INITIAL_RX.finditer(text):
                if m.group("s").casefold() not in _GLUED_NOT_NAMES:
                    out.append(_result(self, "PERSON", m.start(), m.end(), 0.7))
        if "N:" in text:
            out.extend(_result(self, "PERSON", *m.span("v"), 0.8) for m in _VCARD_N_RX.finditer(text))
        if "NM1*" in text:
            out.extend(_result(self, "PERSON", *m.span("v"), 0.8) for m in _X12_NAME_RX.finditer(text))
        if "(" in text:  # a name with who they are in brackets ("Ana (his daughter) found him", "Kofi (neighbour)")
            out.extend(
                _result(self, "PERSON", *m.span("v" if m.group("v") else "w"), 0.7) for m in _NAME_RELATION_RX.finditer(text)
            )
        if "/NAME/" in text:  # a SWIFT field's name ("/EREF/5717.../NAME/LINH VŨ/IBAN/...")
            out.extend(_result(self, "PERSON", *m.span("v"), 0.7) for m in _SWIFT_NAME_RX.finditer(text))
        if _DOCUMENT_NAME_GATE.search(text):  # a passport's or licence's name fields ("Given names SOFÍA")
            out.extend(_result(self, "PERSON", *m.span("v"), 0.7) for m in _DOCUMENT_NAME_RX.finditer(text))
        if "LICEN" in text:  # a UK driving licence's fields 1 and 2: surname, given names ("1. WILSON\n2. BETHANY")
            out.extend(_result(self, "PERSON", *m.span("v"), 0.7) for m in _LICENCE_NAME_RX.finditer(text))
        if "<<" in text:  # a passport's machine-readable zone: "P<GBRBAKER<<REBECCA<<<<"
            out.extend(_result(self, "PERSON", *m.span("v"), 0.8) for m in _MRZ_NAME_RX.finditer(text))
        if any(c.isdigit() for c in text):
            out.extend(_result(self, "PERSON", *m.span("v"), 0.7) for m in _BADGE_NAME_RX.finditer(text))
        if "   " in text:
            out.extend(_result(self, "PERSON", *m.span("v"), 0.6) for m in _FIXED_WIDTH_NAME_RX.finditer(text))
        for m in _CAPS_GIVEN_RX.finditer(text):
            if self._caps_surname_given(m.group("sur"), m.group("given")):
                out.append(_result(self, "PERSON", m.start(), m.end(), 0.6))
        for m in _user_names(text):
            if m.group("v").casefold() not in _NOT_USERS:
                out.append(_result(self, "PERSON", *m.span("v"), 0.6))
        for m, strong in _frame_names(text):
            if self._frame_name_ok(m.group("v"), strong):
                out.append(_result(self, "PERSON", *m.span("v"), 0.6))
        if "|" in text:
            for m in _LOG_ROW_USER_RX.finditer(text):
                v = m.group("v")
                if v not in _NOT_USERS and not (v.isalpha() and self.english is not None and v in self.english):
                    out.append(_result(self, "PERSON", *m.span("v"), 0.6))
        if "user " in text or "agent " in text:  # a log's "INFO user nikaut acknowledged alarm", "by agent guptas8"
            for m in _USER_DID_RX.finditer(text):
                v = m.group("v")
                plain = v.isalpha() and self.english is not None and v in self.english
                if v not in _NOT_USERS and not plain:
                    out.append(_result(self, "PERSON", *m.span("v"), 0.6))
        if '"' in text or "," in text or "|" in text:
            for m in _SURNAME_INITIAL_CELL_RX.finditer(text):
                words = m.group("v").split()[:-1]
                if sum(len(w) for w in words) < 3 or any(
                    w.casefold() in _NOT_PAYEE_WORDS or w.casefold() in lx.NAME_STOP or w in _NOT_INITIALS for w in words
                ):
                    continue  # ("CASH D" is a word and an initial)
                out.append(_result(self, "PERSON", *m.span("v"), 0.6))
        if self._form_gate(text):
            for m in _FORM_NAME_FIELD_RX.finditer(text):
                v = m.group("v")
                if not _not_a_name_word(v.split()[0].rstrip(",")) and v.split()[0].casefold() not in _NO_VALUE:
                    out.append(_result(self, "PERSON", *m.span("v"), 0.7))
        # an author's line in a chat or notes export: a name, a wide gap, a date and a time ("Jun Wang  25/12/2024
        # 08:18", "Chase Subramanian  07/08/2023 03:38")
        for m in _AUTHOR_LINE_RX.finditer(text) if "  " in text else ():
            if not any(_not_a_name_word(w) for w in m.group("v").split()):
                out.append(_result(self, "PERSON", *m.span("v"), 0.6))
        if ":" in text and "\n" in text:  # a chat export's authors: two such lines at least, no English word alone
            handles = list(_HANDLE_LINE_RX.finditer(text))
            for m in handles if len(handles) >= 2 else ():
                v = m.group("v")
                if v not in _NOT_USERS and not (v.isalpha() and self.english and v in self.english):
                    out.append(_result(self, "PERSON", *m.span("v"), 0.6))
        if "|" in text and "^" in text:
            for seg in _HL7_SEGMENT_RX.finditer(text):
                for m in _HL7_NAME_RX.finditer(text, seg.start(), seg.end()):
                    f, g = m.group("f"), m.group("g")
                    if text.startswith("^^", m.start() - 2):  # an identifier's assigning authority ("^^^HOSP^MR")
                        continue
                    if g.casefold().split()[0] in _HL7_RELATIONS:
                        continue
                    if max(len(f), len(g)) >= 3 and not (len(f) <= 3 and len(g) <= 3):
                        out.append(_result(self, "PERSON", m.start("f"), m.end("f"), 0.7))
                        out.append(_result(self, "PERSON", m.start("g"), m.end("g"), 0.7))
                        middle = _HL7_MIDDLE_RX.match(text, m.end())  # "|BLACKWOOD^DALE^K|": the middle name too
                        if middle:
                            out.append(_result(self, "PERSON", *middle.span("m"), 0.7))
            out.extend(_result(self, "PERSON", s, e, 0.7) for s, e in _hl7_field_names(text))
        if "/" in text:
            for m in _SLASH_NAME_RX.finditer(text):
                out.append(_result(self, "PERSON", *m.span("v"), 0.7))
        for m in _AKA_RX.finditer(text):
            out.append(_result(self, "PERSON", *m.span("v"), 0.6))
        for m in _SPELLED_RX.finditer(text) if _SPELLING_WORDS_RX.search(text) else ():  # a condition of each
            letters = [c for c in m.group() if c.isalpha()]
            if len(letters) >= 4 and (all(c.isupper() for c in letters) or all(c.islower() for c in letters)):
                near = text[max(0, m.start() - 30) : m.start()] + " " + text[m.end() : m.end() + 30]
                if _SPELLING_WORDS_RX.search(near):
                    out.append(_result(self, "PERSON", m.start(), m.end(), 0.6))
        for m in matches_at(_WEAK_LABEL_RX, text, start_lists(text)[_WEAK_LABEL_START]):
            span = self._run(text, m.end(), allow_lower=False, max_tokens=3)
            if span and self._plausible(text[span[0] : span[1]], strong=False):
                out.append(_result(self, "PERSON", *span, 0.6))
        for m in _PAIR_RX.finditer(text, overlapped=True):
            a, b = m.group(1), m.group(2)
            if not (_name_shaped(a) and _name_shaped(b)) or _is_caps(a) != _is_caps(b):
                continue
            if text[m.start(2) - 2 : m.start(2)] == "  " and _LABEL_AHEAD_RX.match(text, m.start(2)):
                continue  # "Shirley  Staff: Astrid": a gap, then the next field's label
            if any(_not_a_name_word(w) for w in (a, b)):
                continue
            nxt = text[m.end() : m.end() + 20]
            prev = text[max(0, m.start() - 12) : m.start()]
            subject = bool(_SUBJECT_NEXT_RX.match(nxt))
            after_trigger = bool(_PAIR_TRIGGER_RX.search(prev))
            caps = _is_caps(a) and len(a) > 2 and len(b) > 2
            if caps and self.english and all(
                (len(w) >= 4 or w.casefold() in _SHORT_HEADING_WORDS)
                and w.casefold() in self.english
                and w.casefold() not in _ANY_NAME_WORD
                for w in (a, b)
            ):
                continue  # a heading in capitals ("OPERATIVE REPORT", "MEDICATION RECONCILIATION")
            # two capitalized words that are not English words (or are gazetteer names): "Quillon Vardakis"
            unknown = (
                bool(self.english)
                and not caps
                and self._lower_name_evidence(a) == 2
                and self._lower_name_evidence(b) == 2
            )
            if subject or after_trigger or caps or unknown:
                out.append(_result(self, "PERSON", m.start(), m.end(), 0.6 if unknown else 0.55))
        for m in matches_at(_LAST_FIRST_RX, text, _last_first_starts(text)):
            last, first = m.group(1), m.group(2)
            if not (_name_shaped(last) and _name_shaped(first)):
                # lower case "vardakis, quillon": both words must read as names
                if (
                    self.english
                    and last.islower()
                    and first.islower()
                    and self._lower_name_evidence(last) == 2
                    and self._lower_name_evidence(first) == 2
                ):
                    out.append(_result(self, "PERSON", m.start(), m.end(), 0.55))
                continue
            if last.casefold() in lx.NOT_NAMES or (first.casefold() in lx.NOT_NAMES and not _month_surname(text, m, 2)):
                continue  # ("Hoang, May" is a name)
            if first.casefold() in lx.US_STATES or first.casefold() in lx.US_STATE_NAMES:
                continue
            known = first.casefold() in lx.GIVEN_NAMES or last.casefold() in lx.SURNAMES
            both_caps = _is_caps(last) and _is_caps(first)
            score = 0.75 if known else (0.55 if both_caps else 0.5)
            out.append(_result(self, "PERSON", m.start(), m.end(), score))
        out.extend(self._gazetteer(text))
        out.extend(self._particle_names(text))
        if "<" in text and "@" in text:
            for m in _BEFORE_EMAIL_RX.finditer(text):
                words = m.group("n").split()
                if not any(_not_a_name_word(w) for w in words if not w.endswith(".")):
                    out.append(_result(self, "PERSON", *m.span("n"), 0.7))
        if "--" in text:
            for m in _SIGNATURE_RX.finditer(text):
                span = self._run(text, m.end(), allow_lower=False, max_tokens=4)
                if span and self._plausible(text[span[0] : span[1]], strong=False):
                    out.append(_result(self, "PERSON", *span, 0.6))
        if ":" in text and "\n" in text:
            out.extend(self._speakers(text))
        if self.english:
            out.extend(self._lower_pairs(text))
        if _PAYEE_GATE.search(text):
            out.extend(self._payees(text))
        if "'" in text or "’" in text:
            out = _without_contractions(text, out, self.english)
        return out

    def _payees(self, text: str) -> list[RecognizerResult]:
        """The other party of a bank statement's transfer, after its code ("FPI EVANS P DINNER", "SO D. Vo",
        "FPO JING XU 40 75 70 95951024", "TFR MOON Anthony BIRTHDAY"): a person's name, or a company's (not scored).
        Taken when a word of it is a known name, or it has an initial and a word that is no English word."""
        out = []
        for m in _PAYEE_RX.finditer(text):
            words = m.group("v").split()
            long = [w for w in words if len(w.rstrip(".")) > 1]
            if not long:
                continue
            known = any(w.casefold() in _ANY_NAME_WORD or w.casefold() in lx.WIDE_NAMES for w in long)
            initial = len(long) < len(words)
            if known or (initial and not all(_not_a_name_word(w) for w in long)):
                if not all(self.english and w.casefold() in self.english and not _known_name(w) for w in long):
                    out.append(_result(self, "PERSON", *m.span("v"), 0.6))
        return out

    def _initials(self, text: str) -> list[RecognizerResult]:
        """Initials where an author, handler or note-taker is named (`_INITIALS_BEFORE_RX`)."""
        out: list[RecognizerResult] = []
        if "/" in text:  # a letter's author before its date, under the signature ("KL/26 November 2023")
            for m in _INITIALS_DATE_RX.finditer(text):
                if m.group("v") not in _NEVER_INITIALS and m.group("v") not in _NOT_INITIALS:
                    out.append(_result(self, "PERSON", *m.span("v"), 0.6))
        if "yped" in text or "ictated" in text:  # a letter's typist in lower case ("Dictated by Dr Begum / typed mg")
            for m in _TYPIST_RX.finditer(text):
                if m.group("v") not in _NOT_TYPIST:
                    out.append(_result(self, "PERSON", *m.span("v"), 0.6))
        if "ignature" in text:  # a signature written as a name before the date ("Signature(s) Whitehead   Date")
            for m in _SIGNED_NAME_RX.finditer(text):
                if not all(_not_a_name_word(w) for w in m.group("v").split()):
                    out.append(_result(self, "PERSON", *m.span("v"), 0.6))
        if _CREDENTIAL_GATE.search(text):  # a clinician's initials before a credential ("S.H., LMFT", "M.W. EMT-B")
            for m in _INITIALS_CREDENTIAL_RX.finditer(text):
                letters = m.group("v").replace(".", "")
                if letters in _NEVER_INITIALS or letters in lx.CREDENTIALS:  # "BSN, RN": two credentials
                    continue
                if "." in m.group("v") or letters not in _NOT_INITIALS:
                    out.append(_result(self, "PERSON", *m.span("v"), 0.6))
            for m in _NAME_CREDENTIAL_RX.finditer(text):  # ... and a name ("Hye-jin Bishop, RN"), a known name in it
                start, words = m.start("v"), m.group("v").split(" ")
                while words and _drop_word(words[0]) and words[0].casefold() not in _ANY_NAME_WORD:
                    start += len(words.pop(0)) + 1  # "See Summit Orthopedics, MD": not a name
                if not words:
                    continue
                if len(words) == 1:
                    # one word: a given name where a signature or a hand-over puts it ("\nPhuong, LPN", "to Sterling, RN")
                    if not _CREDENTIAL_NAME_PLACE.search(text, max(0, start - 6), start):
                        continue
                    if words[0].casefold() not in _ANY_NAME_WORD and _not_a_name_word(words[0]):
                        continue
                elif not any(w.casefold() in _ANY_NAME_WORD for w in words) or all(_not_a_name_word(w) for w in words):
                    continue
                out.append(_result(self, "PERSON", start, m.end("v"), 0.6))
        for m in _INITIALS_RX.finditer(text):
            letters = m.group().replace(".", "")
            if letters in _NEVER_INITIALS:
                continue
            ctx = _INITIALS_BEFORE_RX.search(text, max(0, m.start() - 60), m.start())
            if ctx is None or (
                letters in _NOT_INITIALS
                and ctx.lastgroup not in _SIGNATURE_PLACES
                # (with full stops after a label's colon, initials: "IT Security review: S.Q. 2024-03-02")
                and not ("." in m.group() and ctx.lastgroup in ("label", "note", "entry", "alone"))
            ):
                continue
            after = _AFTER_INITIALS_RX.get(ctx.lastgroup or "")
            if after is None or after.match(text, m.end()):
                out.append(_result(self, "PERSON", m.start(), m.end(), 0.6))
        return out

    @staticmethod
    def _form_gate(text: str) -> bool:
        low = text.lower()
        return "name" in low or "urname" in low or "signed" in low or "5igned" in low

    def _case_parties(self, text: str) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        for m in _CASE_CAPTION_RX.finditer(text):
            for side in ("a", "b"):
                start, end = m.span(side)
                words = text[start:end].split()
                while words and words[0].casefold() in _CASE_LEAD_WORDS:  # "In Smith v Jones"
                    start += len(words.pop(0)) + 1
                if not words or any(w.casefold().strip(".,") in _BODY_WORDS for w in words):
                    continue
                if all(_not_a_name_word(w) and not _known_name(w) for w in words):
                    continue
                out.append(_result(self, "PERSON", start, end, 0.6))
        return out

    def _frame_name_ok(self, word: str, strong: bool) -> bool:
        """A capitalised word that a sentence's frame names ("Ask Liberty to ring me"): in a strong frame ("her
        friend Pilar") any word but a day's, a month's or a drug's; in a weak one a name of the lists (those that are
        also words included: Liberty, Joy, Mark) or no English word, never a word the lists rule out."""
        low = word.casefold()
        if low in _NEVER_FRAMED or low in lx.NAME_STOP or low in lx.DRUGS or low in _NO_VALUE:
            return False
        if strong:
            return True
        if _not_a_name_word(word):
            return False
        first = low.split("-")[0]
        return low in _ANY_NAME_WORD or first in _ANY_NAME_WORD or not (self.english and low in self.english)

    def _caps_surname_given(self, sur: str, given: str) -> bool:
        """"DAHL Kristoffer": the given name is a known one, and the capitals read as a surname, not an acronym or a
        word ("ICU Sarah", "URGENT Mary"); with a given name that is also a word ("Will", "Grace"), a known surname."""
        g = given.casefold()
        words = [w for w in re.split(r"[ '’-]", sur.casefold()) if w]
        known_sur = all(w in _ANY_NAME_WORD for w in words)
        if g in lx.WORD_GIVEN or g in lx.AMBIGUOUS_GIVEN:
            return known_sur and not any(w in lx.NOT_NAMES or w in lx.NAME_STOP for w in words)
        if not (g in lx.GIVEN_NAMES or g in lx.WIDE_GIVEN) or _not_a_name_word(given):
            return False
        joined = len(words) > 1 and " " not in sur  # "ABU-ZEID": a short part of a compound is no acronym
        for w in words:
            if w in lx.NOT_NAMES or w in lx.NAME_STOP or w in _PLACE_WORDS:
                return False
            if ((len(w) <= 3 and not joined) or (self.english and w in self.english)) and w not in _ANY_NAME_WORD:
                return False  # "ICU Sarah", "URGENT Mary"
        return True

    def _particle_names(self, text: str) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        if not _PARTICLE_GATE(text):
            return out
        # overlapped: a match at each position where one starts (`match` there), not only past the previous one
        for m in filter(None, (_PARTICLE_RX.match(text, i) for i in _particle_starts(text))):
            pre, sur = m.group("pre"), m.group("sur")
            if _not_a_name_word(sur) or sur.casefold() in _PLACE_WORDS:
                continue
            low = pre.rstrip(".").casefold()
            if low in _TITLE_WORDS:
                start = m.start("part")  # "Dr de la Fuente": the title stays
            elif len(low) == 1 and pre.endswith(".") and pre[0].isupper():
                start = m.start("pre")  # a middle initial: "Babajide E. di Stefano"
            elif (
                _name_shaped(pre.rstrip("."))
                and not pre.endswith(".")
                and low not in _PLACE_WORDS
                and low not in _STREET_TYPE_WORDS
                and not _not_a_name_word(pre)
                and (_known_name(pre) or self._lower_name_evidence(low) == 2)
            ):
                start = m.start("pre")
            else:
                continue
            out.append(_result(self, "PERSON", start, m.end(), 0.6))
        return out

    def _speakers(self, text: str) -> list[RecognizerResult]:
        """Speakers of a transcript: two or more lines open with "name:". A name is taken when it reads as one: a
        gazetteer name (also "Joy", "Will"), or not an English word and not an abbreviation."""
        found = []
        for m in _SPEAKER_RX.finditer(text):
            who = m.group("who").split()
            inner = m.group("inner")
            if who[0].casefold() in _ROLES:
                if inner:
                    found.append((m.start("inner"), m.end("inner"), False, False))
                elif len(who) == 2:
                    found.append((m.end("who") - len(who[1]), m.end("who"), False, False))
            else:
                # "Mason (agent):", "REED (AGENT):": a role in brackets after it makes the speaker a person
                found.append((m.start("who"), m.end("who"), bool(inner) and inner.casefold() in _ROLES,
                              m.group("stamp") is not None))
        if len(found) < 2:
            return []
        out = []
        for s, e, by_role, stamped in found:
            words = text[s:e].split()
            if len(words) == 2 and len(words[1].rstrip(".")) == 1 and words[1][0].isupper():
                words = words[:1]  # "Elmarie P:", "Pooja T.:": a name and the initial of the surname
            if by_role and not any(w.casefold() in _ROLES or len(w) < 2 for w in words):
                out.append(_result(self, "PERSON", s, e, 0.6))
                continue
            if any(w.casefold() in _ROLES or len(w) < 2 for w in words):
                continue
            # a chat export's speaker after its time stamp ("20/11/2024, 18:36 - Sana Raja:"): one word of the name
            # that is no English word is enough ("Mere Tamihana", "Sandy Tkachenko", "Ji-woo K")
            if (
                stamped
                and any(self._lower_name_evidence(w.casefold()) == 2 for w in words)
                and not any(w.isupper() and len(w) <= 4 for w in words)
                and not any(_drop_word(w) for w in words)
            ):
                out.append(_result(self, "PERSON", s, e, 0.6))
                continue
            if any(_not_a_name_word(w) for w in words):
                continue
            known = any(_known_name(w) or w.casefold() in lx.AMBIGUOUS_GIVEN for w in words)
            # not an English word: but not an abbreviation ("HPI:", "BIC:") or a compound label ("Pre-op:")
            unknown = all(
                self._lower_name_evidence(part.casefold()) == 2
                for w in words
                for part in w.split("-")
            ) and not any(w.isupper() and len(w) <= 4 for w in words)
            if known or unknown:
                out.append(_result(self, "PERSON", s, e, 0.6))
        return out

    def _lower_name_evidence(self, tok: str) -> int:
        """2: a lower-case word that reads as a name (in the gazetteer, or outside the English word index);
        1: an ordinary but not a function/clinical word (rare English words include many names: "ambrose");
        0: never part of a name. Remembered per word (a function of its case-folded form only)."""
        cache = self._evidence
        hit = cache.get(tok)
        if hit is None:
            if len(cache) > 200_000:
                cache.clear()
            hit = cache[tok] = self._judge_lower_name(tok)
        return hit

    def _judge_lower_name(self, tok: str) -> int:
        low = tok.casefold()
        if _not_a_name_word(tok) or low in _NOT_LOWER_NAMES or low in _STOP_LOWER:
            return 0
        if (low in lx.GIVEN_NAMES and low not in lx.AMBIGUOUS_GIVEN) or (
            low in lx.SURNAMES and low not in lx.AMBIGUOUS_SURNAMES
        ):
            return 2
        if len(low) >= 4 and _DRUG_SUFFIX_RX.search(low):
            return 0
        if low in self.english:
            return 1 if len(low) >= 4 and not _verbish(low) else 0
        return 2 if len(low) >= 3 else 0

    def _lower_pairs(self, text: str) -> list[RecognizerResult]:
        out = []
        for m in _LOWER_PAIR_RX.finditer(text, overlapped=True):
            ea = self._lower_name_evidence(m.group(1))
            eb = self._lower_name_evidence(m.group(2)) if ea else 0
            if not ea or not eb or ea + eb < 3:
                continue
            prev = text[max(0, m.start() - 14) : m.start()]
            trig = _LOWER_TRIGGER_RX.search(prev)
            if ea + eb == 4:
                context = bool(trig or _SPEAKER_NEXT_RX.match(text, m.end()))
                score = 0.6 if context else 0.4
            else:  # one ordinary word: only after a word that introduces a person ("for", "with", "is")
                score = 0.5 if trig is not None and trig.group("w") else 0.3
            out.append(_result(self, "PERSON", m.start(), m.end(), score))
        return out

    def _reads_as_name(self, span: str, lower_evidence: int = 1) -> bool:
        """Every word of `span` reads as part of a name: a capitalized (or ALL CAPS) word that is not a common
        non-name word, or an initial; a lower-case word with at least `lower_evidence` (see _lower_name_evidence;
        without the English word index, lower-case words are not taken)."""
        words = [w for w in span.replace(".", ". ").split() if w not in (".",)]
        if not words or "\n" in span:
            return False
        if all(w.strip(".").casefold() in _NOT_AUTHORS for w in words) or (len(words) == 1 and words[0] in _NOT_INITIALS):
            return False
        if self.english and not any(_known_name(w.strip(".")) for w in words) and all(
            len(w.strip(".")) > 1 and w.strip(".").casefold() in self.english for w in words
        ):
            return False  # "Owner: Platform", "[Support]": ordinary words, no name among them
        for w in words:
            core = w.strip(".")
            if len(core) == 1 and core.isupper():
                continue
            if _name_shaped(core):
                # a given name that is also a word ("Paris Huntington", "Can Yilmaz") before another name word
                ambiguous = core.casefold() in lx.AMBIGUOUS_GIVEN and w is not words[-1]
                if _not_a_name_word(core) and not _known_name(core) and not ambiguous:
                    return False
            elif not (self.english and core.islower() and self._lower_name_evidence(core) >= lower_evidence):
                return False
        return True

    @staticmethod
    def _plausible(span: str, strong: bool) -> bool:
        toks = span.split()
        if not toks or (len(toks) == 1 and toks[0] in _NOT_INITIALS):
            return False  # "Seen by GP", "Reviewed by MDT"
        if strong:
            return True
        return any(_known_name(t) for t in toks) or (len(toks) >= 2 and all(_name_shaped(t) for t in toks))

    def _gazetteer(self, text: str) -> list[RecognizerResult]:
        out = []
        skip_to = 0  # tokens up to here were taken into the previous name
        for m in _TOKEN_RX.finditer(text):  # the tokens after a name are read only where a name starts
            s, e = m.span()
            if s < skip_to:
                continue
            tok = m.group()
            low = tok.casefold()
            if low not in _ANY_NAME:  # most words: one look-up
                continue
            given = low in lx.GIVEN_NAMES and low not in lx.NOT_NAMES
            surname = low in lx.SURNAMES and low not in lx.AMBIGUOUS_SURNAMES and low not in lx.NOT_NAMES
            wide = False
            if not (given or surname):
                # a name of the wide gazetteer, written as one ("Ghada", not "GHADA" or "ghada"), and not a scale's or
                # a syndrome's ("Braden 13", "Sheehan syndrome")
                wide = (
                    tok[0].isupper()
                    and low in lx.WIDE_NAMES
                    and _is_capitalized(tok)
                    and not _WIDE_NOT_AFTER_RX.match(text, e)
                )
                if not wide:
                    continue
            ambiguous = low in lx.AMBIGUOUS_GIVEN
            lower = tok.islower()
            # extend to the following (up to two) surname-shaped tokens
            end = e
            taken = 0
            for k, nm in enumerate(_TOKEN_RX.finditer(text, e)):
                if k == 2 or nm.start() - end > 2 or text[end : nm.start()].strip(" \t") != "":
                    break
                if nm.start() - end > 1 and _LABEL_AHEAD_RX.match(text, nm.start()):
                    break  # "Shirley  Staff: Astrid": the next field's label after a gap
                nt = nm.group()
                nlow = nt.casefold()
                if (nlow in lx.NAME_STOP or nlow in lx.NOT_NAMES or nlow in lx.DRUGS) and not _month_surname(text, nm):
                    break
                if wide and not _is_capitalized(nt):
                    break
                if lower and not nt.islower():
                    break
                if not lower and not _name_shaped(nt):
                    break
                if lower and not (nlow in lx.SURNAMES or nlow in lx.GIVEN_NAMES or k == 0):
                    break
                end = nm.end()
                taken += 1
            extended = taken > 0
            if ambiguous and not (extended and _is_capitalized(tok)):
                continue
            if wide:
                score = 0.7 if extended else 0.55
            elif given:
                score = 0.75 if extended else (0.6 if _name_shaped(tok) else 0.5)
            else:
                score = 0.6 if extended else (0.55 if _name_shaped(tok) else 0.0)
            if score:
                out.append(_result(self, "PERSON", s, end, score))
            skip_to = end
        return out


# ---------------------------------------------------------------------------------------------------------
# Addresses and postal codes

_STREET_TYPE_WORDS = frozenset(lx.STREET_TYPES.split("|"))
_ANY_NAME = lx.GIVEN_NAMES | lx.SURNAMES | lx.WIDE_NAMES
# after a name of the wide gazetteer: a value or a clinical head noun makes it a scale or an eponym
_WIDE_NOT_AFTER_RX = re.compile(r"[ \t]*(?:\d|(?i:" + lx.EPONYM_HEADS + r")\b)")
_DRUG_SUFFIX_RX = re.compile(r"(?:" + lx.DRUG_SUFFIXES + r")$")
# lower-case words outside the English word index that are still not names (chat shorthand, units, codes)
_NOT_LOWER_NAMES = lx._words(
    """
    pls plz thx thanx tho lol omg btw fyi asap idk imo tbh ur u r ya yeah yep nope gonna wanna gotta
    dont cant wont isnt didnt doesnt im ive youre theyre thats whats hes shes
    ssn dob mrn npi iban acct tel mob addr appt pt pts yo yrs hrs mins wks mos
    auth preauth reauth approx info admin dept mgmt meds
    """
)
_STOP_LOWER = frozenset(_SPACY_STOP_WORDS)
# what follows "Patient"/"Client" where no name does: a state or an answer ("Patient stable", "Patient: unwell")
_STATE_WORDS = frozenset(
    "stable unstable unwell well comfortable uncomfortable alert asleep awake settled unsettled improving improved "
    "better worse deteriorating agitated confused drowsy afebrile febrile tolerating ambulating mobilising mobilizing "
    "eating drinking sleeping reports reported denies denied states stated declined refused consented instead "
    "tired anxious distressed calm happy unhappy okay ok fine feels feeling remains remained was is has had".split()
)

_ST = lx.STREET_TYPES
_STATES = "|".join(sorted(lx.US_STATES))
_STATE_NAMES = "|".join(sorted((n.replace(" ", r"\s+") for n in lx.US_STATE_NAMES), key=len, reverse=True))
_WORD = r"[^\W\d_][\w'’.-]*"
_UNIT = (
    r"(?:,?\s*(?:apt|apartment|unit|suite|ste|flat|fl|floor|room|rm|bldg|building|#)\.?\s*#?\s*[\w-]{1,6})?"
)
_DIR = r"(?:\s+(?:n|s|e|w|ne|nw|se|sw|north|south|east|west)\b\.?)?"
_CITY_TAIL = (
    r"(?:,?\s+(?:[^\W\d_][\w'’.-]*\s+){0,2}?[^\W\d_][\w'’.-]*,\s*(?:"
    + _STATES
    + r")\b\.?(?:\s+\d{5}(?:-\d{4})?)?"  # a state whole ("Melbourne" does not begin with Maine's "ME")
    r"|,\s*(?:" + _STATES + r")\s+\d{5}(?:-\d{4})?)?"
)
_STREET_WORD = (
    r"(?!(?:by|and|or|the|at|on|in|to|for|of|with|from|was|is|seen|see|call|lives|near)\b)"
    r"[^\W\d_][^\W\d_'’.-]*(?:['’](?:s\b|[^\W\d_]{2,})|(?<=\bjr)\.)?"  # "Queen's Lane", "O'Connell", "King Jr."
)
_ABBR_DOT = (
    r"(?:(?<=\b(?:st|ave|av|rd|dr|blvd|ln|ct|pl|ter|terr|cir|pkwy|hwy|sq|trl|cres|aly|plz|pt|hts|xing|expy|fwy|"
    r"tpke|jct|gdns))\.)?"
)
_US_STREET = (
    r"(?:(?:\b(?:flat|fl|apt|apartment|unit|suite|ste|room|rm)\.?\s*#?\s*|#\s*)\w{1,5},?\s+)?(?:\bno\.\s*)?"
    # (the number, the name and the type on one line: "Temp 36.7 C\nPt" is no street)
    r"\b\d{1,6}[a-z]?(?:[-/]\d{1,4}[a-z]?){0,2},?[^\S\n]+(?:(?:n|s|e|w|ne|nw|se|sw|north|south|east|west)\.?[^\S\n]+)?"
    r"(?:\d{1,3}[ ](?=(?:avenue|ave|street|st)\b))?"  # Calgary's "612 17 Avenue SW"
    r"(?:(?:"
    + _STREET_WORD
    + r"|\d{1,3}(?:st|nd|rd|th))[^\S\n]+){1,4}?(?:(?!dr\b)(?:"
    + _ST
    + r")|dr(?!\.?[ \t]+(?!(?:Apt|Unit|Suite|Ste|Flat|Fl|Floor|Room|Rm|Bldg)\b)(?-i:[A-Z][a-z])))\b"
    + _ABBR_DOT
    + r"(?:\s+(?:lane|road|street|avenue|drive|way|court|place|terrace|circle|trail|ln|rd|st|ave|ct|ter|cir|trl|pl|dr)"
    r"\b\.?)?"  # "Quail Run Lane", "Oak Hollow Ct", "Cedar Hollow Terrace"
    + _DIR
    + _UNIT
    + _CITY_TAIL
)
# Romanian "Bd.", "Str.", Indonesian "Jl.", Peruvian "Jr.", Italian "Via": as written ("BD" is twice daily, "via"
# an English word)
_EU_PREFIX_CASED = r"(?-i:Bd\.?|Str\.|Jl\.|Jr\.|Via|VIA)"
_EU_PREFIX = (
    r"\b(?:\d{1,5}(?:[/-]\d{1,5})?(?:\s*(?:bis|ter))?,?\s+)?(?:" + lx.EU_STREET_PREFIX + r"|" + _EU_PREFIX_CASED + r")[ \t]+"
    r"(?:(?:de|del|de\s+la|de\s+las|de\s+los|des|du|da|do|dos|das|di|della|delle|dei|degli|van|von|der|na|an)\s+|d['’]|l['’]|"
    r"\d{1,2}\s+de\s+)?"
    r"(?:" + _WORD + r")(?:[ \t]+(?:[A-ZÀ-Ý][\w'’.-]*|de|del|di|la|le|van|der)){0,3}"  # never past the line's end
    r"(?:,?[ \t]+(?:n[º°o]\.?\s*)?\d{1,5}[a-z]?\b(?:[ ](?:bis|ter|hs|huis)\b|-I{1,3}\b)?)?"
    r"(?:,?[ \t]+\d{1,2}[º°ª](?:[ \t]?[A-Z]\b)?|,?[ \t]+(?:apto|apt|piso|dpto)\.?[ \t]*\d{1,5}[a-z]?\b)?"  # "8º B", "apto 15"
)
# German and Dutch forms with no street word ("Am Markt 29b", "Schönhauser Allee 14a"): case-sensitive
_DE_STREET = (
    r"(?-i:\b(?:(?:Am|Im|Zum|Zur|An\s+der|Auf\s+der|In\s+der|Unter\s+den)\s+[A-ZÄÖÜ][\w'’-]+"
    r"|(?<![\w'’-])[A-ZÄÖÜ][\w'’-]+\s+(?:Allee|Straße|Strasse|Str\.|Weg|Platz|Ring|Damm|Gasse|Ufer|Markt|Chaussee|Steig|Pfad))"
    r"\s+\d{1,5}[a-z]?\b)"
)
_EU_SUFFIX = (
    r"\b[^\W\d_][\w'’-]*(?:" + lx.EU_STREET_SUFFIX + r")\.?\s+\d{1,5}(?:\s?[a-z](?:[ ]\d{1,3}\b(?![.,:/]\d))?)?\b"
    r"(?:\s*[/-]\s*\d{1,4})?"
    r"(?:\s+(?:hs|huis|bis|ter)\b)?"
)
_PO_BOX = r"\b(?:p\.?\s?o\.?\s*box|post\s+office\s+box|postfach|apartado(?:\s+postal)?)\s*#?\s*\d{1,7}\b"
_SPACE_DIGIT = re.compile(r"\s\d")


# English words that end like a street ("during 3 days", "measuring 21 x 41 mm", "bring 2 forms", "untie 3")
_NOT_RING = frozenset("bring string spring during ring wring sting tie untie necktie bowtie cutie sortie".split())
_ING_RING = ("aring", "ering", "iring", "oring", "uring", "yring")


def _suffix_street_ok(match: str) -> bool:
    """Validator of `_EU_SUFFIX`: its street word is not an English word ending in "ring" or "tie" (a German
    "…ring", "Kaiserring", is a compound of a name; "occurring" in lower case is not one)."""
    word = match.split(None, 1)[0].rstrip(".")
    low = word.lower()
    if low in _NOT_RING or low.endswith(_ING_RING):
        return False
    return not (low.endswith("rring") and word[0].islower())


_BLANKS_BACK = re.compile(r"(?r)\s+")
_STREET_WORD_BACK = re.compile(r"(?r)[\w'’.-]+")
_SUFFIX_BACK = re.compile(r"(?r)(?:" + lx.EU_STREET_SUFFIX + r")\.?", re.IGNORECASE)  # as `_EU_SUFFIX` reads it


def _eu_suffix_starts(text: str) -> list[int]:
    """Where `_EU_SUFFIX` can start. Its street word (a letter after `\\b`, word characters, ' ’ -, the suffix with
    "str." among them, an optional ".") ends right before the blanks in front of the house number: from each
    digit after a blank, a match can only start at a word that begins inside the run of word characters,
    ' ’ . and - that ends before those blanks, and ends with a suffix (and an optional ".")."""
    runs = word_index(text).runs
    out: set[int] = set()
    for m in _SPACE_DIGIT.finditer(text):  # every blank + digit (two of them never overlap)
        b = _BLANKS_BACK.match(text, 0, m.start() + 1).start()
        if _SUFFIX_BACK.match(text, 0, b) is None:  # (the suffix's characters are all of the run's kind)
            continue
        a = _STREET_WORD_BACK.match(text, 0, b).start()
        k = bisect.bisect_left(runs, a, key=lambda r: r[0])
        while k < len(runs) and runs[k][0] < b:
            out.add(runs[k][0])
            k += 1
    return sorted(out)



# The first letters of each ASCII street prefix ("av" of "av\.?", "c" of "c/"): a prefix-form address starts with
# one of them as a whole word (or with a word that has a non-ASCII character, as "allée" and "straße" do).
_EU_PREFIX_WORDS = frozenset(
    re.match(r"[a-z]+", p).group() for p in lx.EU_STREET_PREFIX.split("|") if p.isascii()
) | {"bd", "str", "jl", "jr", "via"}


def _eu_prefix_gate(text: str) -> bool:
    """Necessary for `_EU_PREFIX`: one of its street prefixes as a word of the text."""
    words = ascii_lower_words(text)
    return words is None or not _EU_PREFIX_WORDS.isdisjoint(words)


_DE_WORDS = words_gate("allee straße strasse str weg platz ring damm gasse ufer markt chaussee steig pfad".split())


# the heads of `_DE_STREET`'s first form with the blank after them, which may be a tab or a no-break space
_DE_HEAD = re.compile(r"(?:Am|Im|Zum|Zur|An\s+der|Auf\s+der|In\s+der|Unter\s+den)\s")


def _de_street_gate(text: str) -> bool:
    return _DE_HEAD.search(text) is not None or _DE_WORDS(text)


# The rest of a line after an address label ("Home address: 3-20-9 Jingumae, Shibuya-ku, Tokyo 150-0001",
# "RESIDENTIAL ADDRESS   94 Station Approach, Roath, Cardiff"): whatever the street's form, a label that says
# the line is an address makes it one. Under HIPAA the city and the postal code after it go too. Not "e-mail
# address", "IP address" and the like; the value has a digit (a house or postal number) and ends at the line's
# end, a tab, "(", ";", " | " or a quote.
_ADDRESS_LABEL_LINE = (
    r"(?<!(?:e-?mail|ip|mac|web|ipv[46]|wallet|server|return|forwarding|bitcoin|url)[\s_-]?)"
    r"(?<!\b(?:at|for|of)\s+(?:[^\W\d_]+\s+)?)"  # "Tariff at old address:", "Proof of address:": not the address
    r"\b(?:(?:home|residential|residence|postal|mailing|street|billing|shipping|delivery|correspondence|permanent|"
    r"current|registered|previous|beneficiary|employer'?s?|patient'?s?|property|service|physical)\s+)?"
    r"(?P<w>address(?:\s+line\s*1)?|addr\.?|domicilio|direcci[oó]n|adresse|anschrift|endere[cç]o|adres|indirizzo)"
    r"(?:\s*\([^)\n]{0,20}\))?(?:\s*[:#=]\s*|\s{2,}|\s*-\s+)(?P<v>(?=[^\n\t(;|\x22]*\d)[^\s:\x22][^\n\t(;|\x22]{2,118}?)"
    r"(?=\s*(?:$|\n|\t|\(|;|\s\||\x22))"  # a JSON string's closing quote ends it too
)


# a street's unit or floor after it (", Unit 7", ", Suite 210", Spanish ", 3r 1a" / ", 4º dcha.", German ", 4. OG"),
# and a house or plot number before it ("House 29, Bode Thomas Street", "Plot 69, Ikorodu Road")
_UNIT_AFTER = re.compile(
    r"(?:[ \t]+(?:dr|rd|st|ave|ln|ct|pl|blvd|cir|ter|pde|cl|cres|hwy)\b\.?)?"  # a type the street rule left out
    r"(?:,?[ \t]*(?:apt|apartment|unit|suite|ste|flat|fl|floor|room|rm|bldg|building|#)(?![^\W\d_])\.?[ \t]*#?[ \t]*[\w-]{1,6}\b"
    # Italian "int. 17", Romanian "bl. M12, sc. B, et. 3, ap. 8"
    r"|,?[ \t]*(?:int|interno|bl|bloc|sc|scara|et|etaj|ap|apt|depto|dpto|apto|casa|lot)\.?[ \t]*[A-Z]?\d{1,4}[A-Z]?\b"
    # Italian "scala C", Portuguese "bloco A", Spanish "esc. 2", German "Whg. 6", Belgian "bte 20", Brazilian " - Apto 156"
    r"|,?[ \t]*(?:-[ \t]*)?(?:scala|bloco|bloque|esc|escalera|whg|wohnung|bte|apto)\.?[ \t]*(?:[A-Z]?\d{1,4}[A-Z]?|(?-i:[A-Z]))\b"
    r"|[ \t]+as\.[ \t]*\d{1,4}\b"  # Finnish "Pihlajatie 66 as. 7"
    # Swedish "lgh 1106", Polish "lok. 33" / "m. 28", Norwegian "H0102", Danish "5. tv.", Singapore "#05-17"
    r"|,?[ \t]+(?:lgh|lok)\.?[ \t]*\d{1,4}\b|[ \t]+m\.[ \t]*\d{1,4}\b|,[ \t]*(?-i:H)\d{4}\b"
    r"|,[ \t]*\d{1,2}\.[ \t]*(?:tv|th|mf)\b\.?|,[ \t]*#\d{1,3}-\d{1,4}\b"
    r"|[ \t]+\d{1,2}(?=,[ \t]*#\d{1,3}-\d{1,4}\b)"  # the road's own number before the unit: "Clementi Avenue 2, #16-74"
    r"|/(?-i:[A-Z])\b"  # Italian "Via Mazzini 129/A"
    r"|,[ \t]*\d{1,2}(?:st|nd|rd|th)[ \t]+(?:block|stage|phase|sector)\b"  # "5th Cross, 1st Block"
    r"|[ \t]+(?:apartment|apt)\.?[ \t]*#?\d{1,5}[a-z]?\b"
    r"|,[ \t]*\d{1,2}\.?[ ]?(?:º|ª|°|r|er|o|a)?\.?[ \t]+(?:\d{1,2}[ ]?(?:º|ª|a|[a-z])?\b|(?-i:[A-Z])\b|izq(?:da|uierda)?\.?|dcha\.?|dch\.?|"
    r"derecha|ctro\.?|centro|pta\.?[ ]?\d{1,2}|og\b|eg\b|dg\b|dto\.?|esq\.?|frente|fte\.?)\.?(?![\w/-])"
    r"|[ \t]+(?:izq(?:da|uierda)?|dcha|dch|derecha|ctro|centro|dto|esq|frente|fte)\b\.?"
    r"|/\d{1,4}[a-z]?\b(?!/)"
    # Portuguese ground floor ", R/C", Dutch floors "74-II" / "12-hg", Belgian "189 bus 3", Mexican colonia ", Col.
    # Condesa", an Indian road's number "Road No. 12"
    r"|,[ \t]*r/c\b\.?|-(?:I{1,3}|IV|hg|huis|bis)\b|[ \t]+bus[ \t]+\d{1,4}[a-z]?\b"
    r"|,[ \t]*col\.?[ \t]+[^\W\d_][\w'’-]+(?:[ ][^\W\d_][\w'’-]+){0,2}|[ \t]+no\.[ \t]*\d{1,3}\b"
    # a Brazilian office ", sala 17", a Philippine barangay ", Brgy. Poblacion", a flat's number after its building
    # ("Park Tower 723", "Maison Aoyama 979")
    r"|,[ \t]*sala[ \t]*\d{1,4}\b|,[ \t]*(?:brgy\.?|barangay)[ \t]+[^\W\d_][\w'’.-]*(?:[ ][^\W\d_][\w'’.-]*){0,2}"
    r"|(?<=(?:tower|heights|building|mansion|residency|court|house|aoyama|hills))[ \t]+\d{1,4}\b(?![.,/-]?\d))",
    re.IGNORECASE,
)
# a flat in a named building: "Flat 109, Lake View Towers, " (looked for only after a comma)
_BUILDING_BEFORE = re.compile(
    r"(?:^|(?<=[\s,(]))(?:flat|apt|apartment|unit|no\.|#)[ \t]*\d{1,5}[a-z]?,[ \t]+(?-i:(?:\p{Lu}[\w'’-]+[ ]){1,3})"
    r"(?:towers?|apartments?|residency|heights|court|house|complex|enclave|nivas|bhavan|layout|plaza|mansions?|"
    r"gardens|block),[ \t]+\Z",
    re.IGNORECASE,
)
_HOUSE_BEFORE = re.compile(
    r"(?:^|(?<=[\s,(|^\"]))(?:house|hse|plot|block|blk|stand|erf|lot|h\.?[ ]?no\.?|flat|appt|apt|apartment|unit|room|rm|level|"
    r"villa|no\.|b[aâ]t(?:iment)?\.?|esc(?:alier)?\.?|#|\d{1,4}-dong[ ]\d{1,5}-ho,)"  # Korean "102-dong 2205-ho, "
    r"(?:[ \t]*(?:\d{1,5}[a-z]?(?:[-/][\w]{1,6}){0,3}|(?-i:[A-Z])\b),?)?[ \t]+\Z"
    # a house's name: "Kingsley House, 174 Victoria Crescent", "Orchard Cottage, 3 Mill Lane", "Holly Bank, 225
    # Beechwood Avenue", "The Old Vicarage, 40 Ladywood Road"
    r"|(?:^|(?<=[\s,(|^\"]))(?-i:(?:\p{Lu}[\w'’-]+[ ]){1,2})(?:house|court|lodge|cottage|farm|mansions|hall|villa|barn|"
    r"mill|yard|bank|vicarage|rectory|manor|grange|maltings|barns|cottages|lofts|granary|forge)"
    r",[ \t]+\Z"
    # a Welsh house ("Ty Gwyn, ", "Tŷ Coch, ")
    r"|(?:^|(?<=[\s,(|^\"]))(?-i:T[yŷ][ ]\p{Lu}\p{Ll}+),[ \t]+\Z"
    # one word ending as house names do ("Hillview, 85 Victoria Row", "Westfield, "), "The" and a name ("The Old
    # Forge, 121 Queens Grove", "The Maltings, 41 Castle Lane")
    r"|(?:^|(?<=[\s,(|^\"]))(?-i:\p{Lu}\p{Ll}+(?:view|field|croft|side|lea|dene|holme|garth|hurst|wood|haven|stead))"
    r",[ \t]+\Z"
    r"|(?:^|(?<=[\s,(|^\"]))(?-i:The(?:[ ]\p{Lu}[\w'’-]+){1,2}),[ \t]+\Z",
    re.IGNORECASE,
)
# a street without a number after a comma (`_HOUSE_BEFORE` must read a house's name before it)
_COMMA_STREET = re.compile(r",[ \t]+(?:\p{Lu}[\w'’-]+[ ]){1,3}(?i:" + _ST + r")\b")
# the flat before a house's name ("Flat 19, " of "Flat 19, Kingfisher Lodge, 28 Church Lane")
_FLAT_BEFORE = re.compile(
    r"(?:^|(?<=[\s,(|^\"]))(?:flat|apt|apartment|unit|appt|room)\.?[ \t]*(?:\d{1,5}[a-z]?|(?-i:[A-Z]))(?:,[ \t]*\d{1,3}/F)?,[ \t]+\Z",
    re.IGNORECASE,
)  # "Flat F, 24/F, " (Hong Kong) too
# a flat in a named building on a street without a number (as in Ireland): "Apartment 65, Alder House, Shop
# Street", "Apartment 79, The Maltings, Clontarf Road"
_UNIT_BUILDING_STREET = (
    r"\b(?:flat|apt|apartment|unit|appt)\.?[ \t]*\d{1,5}[a-z]?,[ \t]+(?-i:(?:\p{Lu}[\w'’-]+[ ]){0,2}\p{Lu}[\w'’-]+),"
    r"[ \t]+(?-i:(?:\p{Lu}[\w'’-]+[ ]){1,3})(?:" + _ST + r")\b\.?"
)
# numbered roads: "3129 Route 9W", "17634 County Road 14", "88 State Highway 61"
_NUMBERED_ROAD = (
    r"\b\d{1,6}[a-z]?\s+(?:(?:state|county|us|farm|rural|ranch)\s+)?(?:route|road|rd|highway|hwy|rte|sr|cr|fm)\s+"
    r"\d{1,4}[a-z]?\b"
)
# US rural addresses: a rural route's or a highway contract's box ("RR 8 BOX 294", "HC 62 Box 4023"), a grid
# address on a county road ("N7629 County Rd G", "W2220 County Rd FF"), a number on a US highway ("49637 US-17")
_RURAL_ROUTE = (
    r"\b(?:rr|r\.r\.|rural\s+route|hc|star\s+route|psc|cmr)[ ]?\d{1,4},?[ ]+box[ ]+\d{1,6}\b"
    r"|\b(?-i:[NSEW])\d{3,5}[ ]+(?:county|cty|state)[ ]+(?:road|rd|highway|hwy|trunk)[ ]+(?:(?-i:[A-Z]{1,2})|\d{1,3})\b"
    r"|\b\d{1,6}[ ]+(?:us|u\.s\.)(?:-|[ ](?:highway|hwy|route|rte)[ -]?)\d{1,3}\b"
)
_RURAL_GATE = words_gate("box county cty state us rr hc".split())


def _jp_postal_gate(text: str) -> bool:
    return "〒" in text


def _hl7_caret_gate(text: str) -> bool:
    return "^" in text


_JP_HEAD = re.compile(r"\d-\d{1,2}-\d{1,3}[ ]\p{Lu}")
_CROSS_HEAD = re.compile(r"(?i)\d(?:st|nd|rd|th)[ ](?:cross|main)\b")


def _digit_house(word: str) -> bool:
    """A house number ("53", "59A") as a word."""
    return word[:1].isdigit() and len(word) <= 6


with_firsts(_digit_house, "0123456789")


def _jp_street_gate(text: str) -> bool:
    return "-" in text and _JP_HEAD.search(text) is not None


def _ordinal_cross_gate(text: str) -> bool:
    return _CROSS_HEAD.search(text) is not None


def _korean_street_gate(text: str) -> bool:
    return "-ro" in text or "-gil" in text or "-daero" in text or "-daeno" in text


_ADDRESS_LABEL_LINE_RX = re.compile(_ADDRESS_LABEL_LINE, re.IGNORECASE)
_ADDRESS_WORD_RX = re.compile(
    r"(?i)\b(?:address|addr|domicilio|direcci[oó]n|adresse|anschrift|endere[cç]o|adres|indirizzo)\b"
)
_ADDRESS_WORDS = words_gate(
    "address addr domicilio dirección direccion adresse anschrift endereço endereco adres indirizzo".split()
)


# Turkish ("Bağdat Caddesi No: 354 D: 28", "Atatürk Bulvarı No: 221"), Korean ("392 Olympic-ro", "217 Sejong-daero")
_TR_STREET = (
    r"(?-i:\b\p{Lu}[\w'’.-]*(?:[ ]\p{Lu}[\w'’.-]*)?)[ ](?:caddesi|cad\.|sokak|sokağı|sok\.|bulvarı|blv\.|mahallesi|mah\.)"
    r"(?:,?[ ](?:no|numara)[:.]?[ ]?\d{1,5}[a-z]?)?(?:,?[ ](?:d|daire)[:.]?[ ]?\d{1,4})?"
)
_KR_STREET = r"\b\d{1,5}(?:-\d{1,4})?,?[ ](?-i:[A-Za-z][a-z]+)-(?:ro|gil|daero|daeno)\b(?:[ ]\d{1,3}(?:-gil)?(?!\d))?"
# Hungarian: the street word after the name ("Petőfi Sándor utca 116. 2/11", "Bartók Béla út 7.", "Király u. 4")
_HU_STREET = (
    r"(?-i:\b\p{Lu}[\w'’-]+(?:[ ]\p{Lu}[\w'’-]+){0,2})[ ](?:utca|u\.|út|útja|körút|krt\.|tér|köz|sor|fasor|sétány|"
    r"rakpart)[ ]\d{1,4}(?:/[a-z])?\.?(?:[ ]\d{1,2}/\d{1,3}\b|[ ]\d{1,2}\.[ ]?em\.?(?:[ ]\d{1,3}\.?)?)?"
)
_HU_WORDS = words_gate("utca u út útja körút krt tér köz sor fasor sétány rakpart".split())
# South Asian "House 74, Road 18", "House 21, Street 26", and Indian "12th Cross", "4th Main" (after a flat: the
# house word before a street is read by `_HOUSE_BEFORE`)
_HOUSE_ROAD = (
    r"(?:\b(?:house|hse|h\.?[ ]?no\.?|villa|plot|no\.)|(?<![\w#])#)[ ]?#?[ ]?\d{1,5}[a-z]?,[ \t]*"
    r"(?:road|rd|street|st|lane|ln|block|sector)[ ]?(?:no\.?[ ]?)?#?[ ]?\d{1,4}[a-z]?\b"
)
# whole streets without another word: "53 Kingsway", "165 N. Broadway", "59A The Crescent"
_NAMED_STREET = (
    r"\b\d{1,5}[a-z]?[ ](?:(?:n|s|e|w)\.?[ ])?(?:broadway|kingsway|the[ ](?:crescent|strand|parade|green|avenue|mall|"
    r"drive|close|grove|square|terrace|circus|boulevard|promenade|esplanade|paddock|mews|quadrant|croft|rise|lane|"
    r"walk|row|common|ridgeway|broadway))\b"
)
_ORDINAL_CROSS = r"\b\d{1,3}(?:st|nd|rd|th)[ ](?:cross|main)(?:[ ](?:road|rd|street|st))?\b"
# Japanese chōme-ban-gō before the district ("1-28-5 Nishiazabu", "2-5-18 Nishiazabu"): not a date before a month
_JP_STREET = (
    r"\b\d{1,2}-\d{1,2}-\d{1,3}[ ](?!(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun|"
    r"at|am|pm|to|and|or|from|until)\w*\b)(?-i:\p{Lu}[a-z]{2,}(?:-(?:ku|cho|chō|machi|shi|gun))?)\b"
)

# `_US_STREET` begins with a unit word ("Apt 4, ..."), a "#", "no." or the house number (`\\b\\d`): one of
# those words, a word that starts with a digit, or a "#".
_US_STREET_START = prefix_test(
    "fl", "apt", "apartment", "unit", "suite", "ste", "room", "rm", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
    exact=("no",),
)  # the same digits as DIGIT_FIRST
# `_PO_BOX` begins with "p" ("p.o. box", "p o box"), "po" ("po box", "pobox"), "post" or "apartado"
_PO_BOX_START = prefix_test("po", "apartado", exact=("p",))


class _StartsAt(Starts):
    """A `Starts` whose positions a function of the text gives."""

    def __init__(self, where: Callable[[str], list[int]]):
        super().__init__(None)
        self.where = where

    def positions(self, text: str) -> list[int] | None:
        return self.where(text)


_EU_SUFFIX_STARTS = _StartsAt(_eu_suffix_starts)


# a street read out in a call ("apt nineteen thirty eight dublin road", "three thousand one hundred and thirty three
# maple avenue"): the house number in words, then one to three words and a street's type, all in lower case
_NUMBER_WORDS = (
    "zero|oh|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    "seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand"
)
# a flat in a named building, with no street ("Apartment 2475, Al Noor Building", "Apartment 2919, Executive Tower
# C", "Flat 1065, Lotus Residency, Nehru Nagar")
_FLAT_IN_BUILDING = (
    r"\b(?:flat|apt|apartment|unit|villa)\.?[ \t]*\d{1,5}[a-z]?,[ \t]+(?-i:(?:\p{Lu}[\w'’-]+[ ]){1,3})"
    r"(?:building|tower|residency|apartments|heights|plaza|complex|villas|mansions?|enclave|niketan)"
    r"(?:[ ](?-i:[A-Z0-9]{1,3})\b)?(?:,[ \t]+(?-i:\p{Lu}[\w'’-]+[ ])(?:nagar|colony|layout|extension|sector[ ]\d{1,3})\b)?"
)
_SPOKEN_STREET = (
    rf"(?-i:\b(?:(?:apt|apartment|flat|unit|level|suite)[ ](?:(?:{_NUMBER_WORDS})[ -])+)?"
    rf"(?:(?:{_NUMBER_WORDS})(?:[ -]and[ -]|[ -])){{2,8}}"  # two number words at least: "one mile down the road" is none
    rf"(?:(?!(?:{_NUMBER_WORDS}|and|or|the|an?|on|at|in|of|to|is|it|my|his|her|our|their|down|up|for|from|with|"
    r"miles?|km|metres?|meters?|yards?|minutes?|hours?|days?|weeks?|times?|more|people|of)\b)[a-z][a-z'’-]+[ ]){1,3}?"
    r"(?:road|street|avenue|lane|drive|quay|way|close|crescent|terrace|place|court|boulevard|parade|highway|grove|"
    r"gardens|square|row|hill|park|walk|mews)\b(?:[ ](?:north|south|east|west)\b)?)"
)


# a house number read out before a street's name in capitals ("she's at twenty five Windsor Walk now", "The address
# is thirty one Hope Dr", "two hundred and seventy six Māui Street"): the name and its type written, so one number
# word is enough
_SPOKEN_NUMBER_NAMED_STREET = (
    rf"(?-i:\b(?:{_NUMBER_WORDS})(?:(?:[ -]and[ -]|[ -])(?:{_NUMBER_WORDS})){{0,7}}[ ]"
    rf"(?:\p{{Lu}}[\p{{Ll}}'’-]+[ ]){{1,3}}?(?=\p{{Lu}})(?i:{lx.STREET_TYPES})\b\.?)"
)
_NUMBER_WORD_RX = re.compile(rf"(?i)\b(?:{_NUMBER_WORDS})\b")


_ANY_STREET_TYPE_GATE = words_gate(lx.STREET_TYPES.split("|"))
# an address written over lines, its street without a number, and the house's name on the line before ("Hillview\n
# Main Street\nTralee\nCo. Kerry\nV92 P0EY", "The Willows\nCherry Tree Ct\nLincoln\nLN17 5QW"): a line of one to four
# capitalised words ending in a street's type, with a postcode's line within the next four lines
_POSTCODE_AHEAD = (
    r"(?=(?:\n[^\n]*){0,3}?\n[^\n]*(?:\b[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}\b|\b[A-Z]\d{2}[ ]?[A-Z0-9]{4}\b|"
    r"\b[A-Z]{2}[ ]{1,2}\d{5}(?:-\d{4})?\b|\bDublin[ ]\d{1,2}\b|[A-Za-z][ ,-]{1,3}\d{4,6}[ \t]*$|^[ \t]*\d{4,6}[ \t]*$))"
)
_LINE_STREET = rf"(?:\p{{Lu}}[\p{{L}}'’-]+[ ]){{1,3}}(?=\p{{Lu}})(?i:{lx.STREET_TYPES}|lower|upper)\b\.?"
_BLOCK_STREET = (
    rf"(?m-i:^[ \t]*(?P<v>{_LINE_STREET}(?:[ ](?:Lower|Upper|North|South|East|West))?)[ \t]*,?[ \t]*$" + _POSTCODE_AHEAD + ")"
)
_BLOCK_HOUSE = (
    r"(?m-i:^[ \t]*(?P<v>(?!(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Address|Flat|Apt|Unit|Dear|Re|Ref|Our|Your|To|From)\b)"
    r"\p{Lu}[\p{L}'’-]+(?:[ ]\p{L}[\p{L}'’-]+){0,2})[ \t]*,?[ \t]*\n"
    rf"(?=[ \t]*{_LINE_STREET}[ \t]*,?[ \t]*$)" + _POSTCODE_AHEAD.replace("(?=", "(?=[^\\n]*", 1) + ")"
)


def _house_line_ok(value: str) -> bool:
    """A house's name on its own line, not a person's ("ROHAN UDDIN"), a town's or an organisation's."""
    words = [w.strip(",.").casefold() for w in value.split()]
    if all(w in _ANY_NAME_WORD for w in words) and len(words) > 1:
        return False
    return not any(w in lx.NOT_NAMES and w not in _HOUSE_WORDS for w in words)


_HOUSE_WORDS = frozenset("the old house cottage farm lodge barn mill villa willows orchard granary maltings".split())


def _block_street_gate(text: str) -> bool:
    return text.count("\n") >= 2 and _ANY_STREET_TYPE_GATE(text)


def _number_word_street_gate(text: str) -> bool:
    return _ANY_STREET_TYPE_GATE(text) and _NUMBER_WORD_RX.search(text) is not None


# a postcode read out after a street read out ("... bourke street sydney five three one zero", "... dublin road
# dublin a nine four t oh y three"): a town of one or two words, then spoken digits and single letters to the
# line's end (two digits at least)
_SPOKEN_CODE_TOKEN = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|double|[a-z])"
_SPOKEN_POSTCODE_AFTER_STREET = re.compile(
    r"(?-i:,?[ ](?:[a-z]{3,}[ ]){0,2}?"
    rf"(?P<v>(?=(?:[a-z]+[ ])*?(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b[^\n]*?"
    r"\b(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b)"
    rf"{_SPOKEN_CODE_TOKEN}(?:[ ]{_SPOKEN_CODE_TOKEN}){{2,9}})(?=[ \t]*(?:$|\n)))"
)
_STREET_TYPE_GATE = words_gate(
    "road street avenue lane drive quay way close crescent terrace place court boulevard parade highway grove "
    "gardens square row hill park walk mews".split()
)


def _spoken_street_gate(text: str) -> bool:
    return _SPOKEN_TOKEN.search(text) is not None and _STREET_TYPE_GATE(text)


class StreetAddressRecognizer(_RegexRecognizer):
    RULES = [
        ("STREET_ADDRESS", _SPOKEN_STREET, 0.6, 0, None, _spoken_street_gate),
        ("STREET_ADDRESS", _SPOKEN_NUMBER_NAMED_STREET, 0.6, 0, None, _number_word_street_gate),
        ("STREET_ADDRESS", _BLOCK_STREET, 0.6, "v", None, _block_street_gate),
        ("STREET_ADDRESS", _BLOCK_HOUSE, 0.6, "v", _house_line_ok, _block_street_gate),
        # post office boxes of other kinds ("GPO Box 6856", "RMB 2201", "PMB 1042", "PO Box 4135 Stn A",
        # "Postfach 36 28 82")
        ("STREET_ADDRESS", r"(?-i:\b(?:GPO|RMB|PMB)(?:[ ]Box)?[ ]\d{1,6}\b)|\bgpo[ ]box[ ]\d{1,6}\b"
         r"|\bp\.?\s?o\.?\s*box\s*#?\s*\d{1,7}[ ](?:stn|station)[ ](?-i:[A-Z0-9]{1,3})\b|\bpostfach[ ]\d{1,3}(?:[ ]\d{2}){1,3}\b",
         0.75, 0, None, Starts(prefix_test("gpo", "rmb", "pmb", "po", "postfach", exact=("p",)))),
        ("STREET_ADDRESS", _FLAT_IN_BUILDING, 0.7, 0, None, Starts(prefix_test("flat", "apt", "apartment", "unit", "villa"))),
        ("STREET_ADDRESS", _TR_STREET, 0.7, 0, None, words_gate(
            "caddesi cad sokak sokağı sok bulvarı blv mahallesi mah".split())),
        ("STREET_ADDRESS", _KR_STREET, 0.7, 0, None, _korean_street_gate),
        ("STREET_ADDRESS", _HU_STREET, 0.7, 0, None, _HU_WORDS),
        ("STREET_ADDRESS", _HOUSE_ROAD, 0.7, 0, None, Starts(prefix_test("house", "hse", "h", "villa", "plot"),
            signs="#", pre=words_gate("road rd street st lane ln block sector".split()))),
        ("STREET_ADDRESS", _HOUSE_ROAD, 0.7, 0, None, Starts(prefix_test(exact=("no",)), pre=words_gate(
            "road rd street st lane ln block sector".split()))),
        ("STREET_ADDRESS", _ORDINAL_CROSS, 0.7, 0, None, Starts(DIGIT_FIRST, pre=_ordinal_cross_gate)),
        ("STREET_ADDRESS", _NAMED_STREET, 0.7, 0, None, Starts(_digit_house, pre=words_gate(["broadway", "kingsway", "the"]))),
        ("STREET_ADDRESS", _JP_STREET, 0.6, 0, None, Starts(_digits(1, 2), pre=_jp_street_gate)),
        ("STREET_ADDRESS", _NUMBERED_ROAD, 0.7, 0, None, words_gate(
            "route road rd highway hwy rte sr cr fm".split())),
        ("STREET_ADDRESS", _RURAL_ROUTE, 0.75, 0, None, _RURAL_GATE),
        ("STREET_ADDRESS", _US_STREET, 0.75, 0, None, Starts(_US_STREET_START, "#")),
        ("STREET_ADDRESS", _EU_SUFFIX, 0.7, 0, _suffix_street_ok, _EU_SUFFIX_STARTS),
        ("STREET_ADDRESS", _PO_BOX, 0.8, 0, None, Starts(_PO_BOX_START)),
        ("STREET_ADDRESS", _UNIT_BUILDING_STREET, 0.7, 0, None, Starts(prefix_test("flat", "apt", "apartment", "unit", "appt"))),
        # Norwegian "Thorvald Meyers gate 79", "kongens gate 44": a genitive name, then "gate" and the number
        ("STREET_ADDRESS", r"(?:\b[A-ZÆØÅ][\wæøå]+[ ])?\b[A-Za-zÆØÅæøå][\wæøå]*s[ ]gate[ ]\d{1,4}[A-Za-z]?\b", 0.7, 0, None,
         words_gate(["gate"])),
        # X12 EDI: "N3*263 PINE STREET~"
        ("STREET_ADDRESS", r"\bN3\*(?P<v>[^*~\n]*\d[^*~\n]*)(?=~|\*|$)", 0.8, "v", None, _x12_gate),
        # a vCard's ADR: ";;street;city;region;postcode;country"
        ("STREET_ADDRESS", r"(?m)^ADR[^:\n]{0,60}:[^;\n]*;[^;\n]*;(?P<v>[^;\n]+)", 0.8, "v", None, words_gate(["adr"])),
        ("STREET_ADDRESS", _DE_STREET, 0.7, 0, None, _de_street_gate),
    ]

    def __init__(self, entities: Iterable[str], language: str = "en"):
        super().__init__(entities, language, context=["address", "addr", "live", "lives", "reside", "street"])
        ents = set(entities)
        # EU "prefix" forms need their proper-noun part capitalized: case-sensitive rule on top.
        self._eu = re.compile(_EU_PREFIX, re.IGNORECASE) if "STREET_ADDRESS" in ents else None
        # a postal code right after a street (with or without a city, without a state): "12 Oak St 60614"
        self._zip = "STREET_ADDRESS" in ents and "ZIP_CODE" in ents
        if self._zip:
            self.supported_entities = sorted(set(self.supported_entities) | {"ZIP_CODE"})

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001, ANN201
        out = super().analyze(text, entities, nlp_artifacts)
        if "STREET_ADDRESS" in self.supported_entities and "STREET_ADDRESS" in entities and _ADDRESS_WORDS(text):
            # the address label's word found by a literal search, the label and its line read around it: the
            # whole rule tried at every position of every text cost more than all other street rules together
            for word in _ADDRESS_WORD_RX.finditer(text):
                line_start = text.rfind("\n", 0, word.start()) + 1
                m = _ADDRESS_LABEL_LINE_RX.search(text, max(line_start, word.start() - 40), min(len(text), word.end() + 140))
                if m and m.start("w") == word.start():
                    out.append(_result(self, "STREET_ADDRESS", *m.span("v"), 0.7))
        if "STREET_ADDRESS" in entities and ", " in text:
            # a house's name, then its street without a number ("The Granary, Windermere Crescent", "Ty Gwyn, Mill
            # Lane", "Rose Cottage, Crescent Street"): the house name as `_HOUSE_BEFORE` reads it
            for m in _COMMA_STREET.finditer(text):
                house = _HOUSE_BEFORE.search(text, max(0, m.start() - 32), m.start() + 2)
                if house is not None and house.end() == m.start() + 2 and house.start() < m.start():
                    out.append(_result(self, "STREET_ADDRESS", house.start(), m.end(), 0.6))
        if "STREET_ADDRESS" in entities and "," in text:
            # "Korunní 7, 702 00 Ostrava", "Koivukuja 23 A 4, 20990 Turku": a name and a house number right before
            # a postal code and a town, whatever the street's form
            for pc in _POSTCODE_TOWN.finditer(text):
                line_start = text.rfind("\n", 0, pc.start()) + 1
                m = _STREET_BEFORE_POSTCODE.search(text, max(line_start, pc.start() - 60), pc.start())
                if m:
                    out.append(_result(self, "STREET_ADDRESS", *m.span("v"), 0.6))
            # "116 Hai Ba Trung, Hoan Kiem, Hanoi 550000": a number and two to four capitalised words, then places
            # and a postal code
            starts = _NUMBERED_STARTS.positions(text) if _PLACE_CODE.search(text) else None
            if starts:
                for m in matches_at(_NUMBERED_NAME_STREET, text, starts):
                    out.append(_result(self, "STREET_ADDRESS", *m.span("v"), 0.6))
        if self._eu is not None and "STREET_ADDRESS" in entities and _eu_prefix_gate(text):
            for m in self._eu.finditer(text):
                s, e = m.span()
                frag = text[s:e]
                has_num = any(c.isdigit() for c in frag)
                # "Rue de Rivoli 12" / "12 rue de Rivoli": a number makes it an address; without one it must
                # read as a proper name ("Via Roma") after an address label, scored low.
                out.append(_result(self, "STREET_ADDRESS", s, e, 0.7 if has_num else 0.3))
        for r in out:
            if r.entity_type == "STREET_ADDRESS":
                for _ in range(4):  # "bl. M12, ap. 8"
                    unit = _UNIT_AFTER.match(text, r.end)
                    if not unit or unit.end() == r.end:
                        break
                    r.end = unit.end()
                house = _HOUSE_BEFORE.search(text, max(0, r.start - 32), r.start)
                if house is None and text.startswith(", ", r.start - 2):
                    house = _BUILDING_BEFORE.search(text, max(0, r.start - 60), r.start)
                if house:
                    r.start = house.start()
                    flat = _FLAT_BEFORE.search(text, max(0, r.start - 16), r.start) if r.start >= 2 else None
                    if flat:
                        r.start = flat.start()
        if self._zip and "ZIP_CODE" in entities:
            seen = set()
            for r in list(out):
                if r.entity_type != "STREET_ADDRESS" or r.score < 0.5 or r.end in seen:
                    continue
                seen.add(r.end)
                m = (
                    _ZIP_AFTER_STREET.match(text, r.end)
                    or _POSTCODE_AFTER_STREET.match(text, r.end)
                    or _POSTCODE_IN_BLOCK.match(text, r.end)
                    or _LOWER_POSTCODE_AFTER_STREET.match(text, r.end)
                    or _SPOKEN_POSTCODE_AFTER_STREET.match(text, r.end)
                )
                if m:
                    out.append(_result(self, "ZIP_CODE", *m.span("v"), 0.8))
        return out


# ", 702 00 Ostrava", ", 20990 Turku", ", 300110 Timișoara": a postal code of 4 to 6 digits (or 3 + 2) between a
# comma and a capitalized town (a 4-digit year is not one)
_POSTCODE_TOWN = re.compile(
    r"(?<=\d[a-zA-Z]?\.?|\b[A-Z]|\b[A-Z][ ]\d{1,3}|-I{1,3}),[ \t]*(?!(?:19|20)\d\d\b)(?:\d{3}[ ]\d{2}|\d{4,6}|\d{4}[ ]?[A-Z]{2})"
    r"[ \t]+(?-i:\p{Lu}\p{Ll})"
)
# postal codes of a known shape: an Irish Eircode, a British postcode, a Canadian postal code
_EIRCODE = r"[ACDEFHKNPRTVWXY]\d[\dW][ ]?[\dACDEFHKNPRTVWXY]{4}"
# a British postcode written in lower case ("ab17 2dt", "s232gr"): taken only where an address ends
_UK_LOWER_POSTCODE = r"(?-i:[a-pr-uwyz][a-hk-y]?\d[a-z\d]?[ ]?\d[abd-hjlnp-uw-z]{2})"
_UK_CA_POSTCODE = (
    r"[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?[ ]?\d[ABD-HJLNP-UW-Z]{2}|[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ ]?\d[ABCEGHJ-NPRSTV-Z]\d"
)
_PLACE_CODE = re.compile(r"[\w'’.-][ ](?:\d{5,6}|\d{10})(?![\w-])")  # "Hanoi 550000", the end of such an address
_NUMBERED_STARTS = Starts(_digits(1, 5))
# an address block: the street's line, then up to three lines of places ("Rondebosch", "Cape Town", "Pune,
# Maharashtra"), and the postal code on its own line or at the end of the last place's line
_POSTCODE_IN_BLOCK = re.compile(
    r"(?:[ \t]*,?[ \t]*\n[ \t]*" + r"(?:(?-i:\p{Lu}[\w'’.-]*)(?:[ \t]+(?:(?-i:\p{Lu}[\w'’.-]*)|de|da|do|dos|das|del)){0,3}"
    r"(?:,[ \t]*(?-i:\p{Lu}[\w'’.-]*)(?:[ \t]+(?-i:\p{Lu}[\w'’.-]*)){0,2})?(?:[ \t]+-[ \t]+(?-i:[A-Z]{2}))?)"
    r"){1,3}(?:[ \t]*\n[ \t]*|[ \t]+|[ \t]+-[ \t]+|,[ \t]*)"
    r"(?P<v>\d{5}-\d{3,4}|\d{4}-\d{3}|\d{4,6}|\d{3}[ ]\d{2,3}|\d{4}[ ]?[A-Z]{2}|" + _EIRCODE + "|" + _UK_CA_POSTCODE
    + "|" + _UK_LOWER_POSTCODE + ")"
    r"[ \t]*(?=\n|$)"
)
_STREET_BEFORE_POSTCODE = re.compile(
    r"(?:(?<=^)|(?<=[\s(,:;]))(?!(?-i:(?:Table|Figure|Fig|Room|Rm|Bed|Ward|Page|Step|Grade|Stage|Type|Level|Version|"
    r"Phase|Part|Section|Chapter|Appendix|Item|Line|Box|Cycle|Day|Week|Dose|Visit|Floor|Unit|Suite|Apt|Flat|Lot|"
    r"Gate|Bay|Row|Seat|Slide|Sample|Tube|Lane|Cohort|Arm|Group|Study|Trial|Site|Wave|Round|Year|Class|Form|"
    r"Schedule|Article|Art|Rule|Clause|Paragraph|Para|Annex|Exhibit|Tab|Sheet|Volume|Vol|Issue|No|Number)\b))"
    r"(?P<v>(?-i:\p{Lu}[\w'’.-]+)(?:[ ](?:(?-i:\p{Lu})[\w'’.-]*|de|del|della|delle|dei|di|da|do|dos|das|du|des|"
    r"la|le|les|van|der|den|von|na|an|al|el|ul\.)){0,3}"
    r"[ ]\d{1,5}[a-z]?(?:/\d{1,4}[a-z]?|-I{1,3}|-\d{1,3})?\.?(?:[ ][A-H](?:[ ]\d{1,3})?)?)\Z"
)


_NUMBERED_NAME_STREET = re.compile(
    r"(?<![\w,.:/-])(?P<v>\d{1,5}[a-z]?(?:/\d{1,4})?[ ](?-i:\p{Lu}\p{Ll}+)(?:[ ](?-i:\p{Lu}\p{Ll}+)){1,3})"
    r"(?=(?:,[ ](?-i:\p{Lu}[\w'’.-]*)(?:[ ](?:(?-i:\p{Lu}[\w'’.-]*)|\d{1,2}\b)){0,3}){1,3}[ ](?:\d{5,6}|\d{10})(?![\w-]))"
)


# The postal code that follows a street address, optionally after a city of one or two capitalized words.
_ZIP_AFTER_STREET = re.compile(
    r"(?:(?:,?[ \t]+|(?<=\s))(?-i:[A-Za-z][\w'’.-]+)(?:[ \t]+(?-i:[A-Za-z][\w'’.-]+))?)?(?:,?[ \t]+|(?<=\s))"
    r"(?P<v>\d{5}(?:-\d{4})?)(?![\w]|[-/.,]\d)"
)
# Elsewhere: up to three places (each of capitalized words, "Co. Galway", "Dublin 24", "São Paulo - SP") and a
# postal code of any country's shape, on the street's line: "..., Lince, Lima 15046", "..., Hyderabad - 500062",
# "..., Dublin 24 D24 A1X8", ", 702 00 Ostrava", "..., Tokyo 202-5724", "..., Jerusalem 1571155"
_PLACE = (
    r"(?:(?-i:\p{Lu}[\w'’.-]*)(?:[ \t]+(?:(?-i:\p{Lu}[\w'’.-]*)|de|da|do|dos|das|del|di|la|le|\d{1,2}\b)){0,3}"
    r"(?:[ \t]+-[ \t]+(?-i:[A-Z]{2})\b)?|(?-i:[A-Z])-\d{1,2}(?:/\d{1,2})?)"  # "Rio de Janeiro - RJ", "G-9/4"
)
_POSTCODE_AFTER_STREET = re.compile(
    r"(?:(?:,[ \t]*|[ \t]+-[ \t]+|[ \t]+)" + _PLACE + r"){0,3}(?:,?[ \t]+|,|[ \t]+-[ \t]+)"
    r"(?P<v>\d{5}-\d{3,4}|\d{3}[ ]\d{3}(?![ ]?\d)|\d{3}[ ]\d{2}(?![ ]?\d)|\d{4}[ ]?(?-i:[A-Z]{2})\b|(?!(?:19|20)\d\d(?!\d))\d{4,7}|\d{10}|\d{3}-\d{4}|"
    + _EIRCODE + "|" + _UK_CA_POSTCODE + "|" + _UK_LOWER_POSTCODE + ")"
    r"(?![\w]|[-/.,:]\d)"
)
# the same in a lower-case message: "149 strand road, galway, h91 kdr2", "123 george street, parramatta nsw 2150"
_LOWER_POSTCODE_AFTER_STREET = re.compile(
    r"(?:,?[ \t]+(?-i:[a-z]+)(?:[ ](?-i:[a-z]+))?){1,2},?[ \t]+"
    r"(?P<v>" + _UK_LOWER_POSTCODE + r"|(?-i:[acdefhknprtvwxy]\d[\dw][ ]?[\dacdefhknprtvwxy]{4})|(?!(?:19|20)\d\d)\d{4,5})"
    r"(?![\w]|[-/.,:]\d)"
)


_STATE_FIRST_WORDS = frozenset(n.split()[0] for n in lx.US_STATE_NAMES)
_STATE_CODES = frozenset(x.lower() for x in lx.US_STATES)
_AU_STATES = frozenset("nsw vic qld tas act sa wa nt".split())
_ZIP_AFTER_STREET_WORDS = _STREET_TYPE_WORDS | {"nagar", "salai", "marg", "straat", "weg", "laan", "gracht", "strasse"}
_POSTCODE_HEAD = re.compile(r"[a-z][a-z]?\d")


def _postcode_head(word: str) -> bool:
    """Where a UK or Canadian postcode can start: a letter, maybe another, then a digit ("sw1a", "m5v")."""
    return _POSTCODE_HEAD.match(word) is not None


with_firsts(_postcode_head, "abcdefghijklmnopqrstuvwxyz")
_SIX_DIGITS = re.compile(r"\b[1-9]\d{2}\s?\d{3}\b")


def _six_digit_gate(text: str) -> bool:
    return _SIX_DIGITS.search(text) is not None


# `(?:,\s|\n|^)`: at a comma, a line break or the text's start (`^` without MULTILINE)
_AFTER_COMMA_OR_LINE = Starts(None, ",\n", text_start=True)


_COUNTRY_DASH = re.compile(r"\b(?:CH|D|A|F|B|L|I)-\d")


def _country_dash_gate(text: str) -> bool:
    return "-" in text and _COUNTRY_DASH.search(text) is not None


_EIRCODE_SHAPE = re.compile(r"\b[ACDEFHKNPRTVWXY]\d{2}[ ][0-9ACDEFHKNPRTVWXY]{4}\b")


def _eircode_gate(text: str) -> bool:
    return _EIRCODE_SHAPE.search(text) is not None


class PostalCodeRecognizer(_RegexRecognizer):
    FLAGS = 0
    RULES = [
        # (the state code is a word of its own: `\b` before it, "." or a space after it)
        (
            "ZIP_CODE",
            r"\b(?:" + _STATES.upper() + r")\.?\s(?P<v>\d{5}(?:-\d{4})?)\b",
            0.85,
            "v",
            None,
            Starts(_STATE_CODES.__contains__),
        ),
        (
            "ZIP_CODE",
            r"(?i)\b(?:zip\s*code|zip|postal\s*code|postcode|plz|pin\s*code|pin|eircode|cep|c[oó]digo\s+postal|c\.p\.|cp(?=\s*:)|"
            # "MBR-PCODE...:", "Postcode/area:"
            r"code\s+postal|p\.?code)(?:/[a-z]+)?\.{0,12}\s*[:#]?\s*(?P<v>\d{5}(?:-\d{3,4})?|\d{4,6}|\d{3}\s\d{3}|(?=[A-Z0-9]{0,4}[ ]?[A-Z0-9]{0,3}\d)[A-Z0-9]{2,4}[ ]?[A-Z0-9]{3,4})\b",
            0.85,
            "v",
            None,
            Starts(prefix_test("zip", "post", "plz", "pin", "eircode", "cep", "codigo", "code", "pcode", exact=("c", "cp", "p"))),
        ),  # noqa: E501
        ("ZIP_CODE", r"\b\d{5}-\d{4}\b(?!-\d)", 0.6, 0, None, Starts(_digits(5, 5))),  # not a drug's NDC "73338-9769-54"
        # Portuguese "3049-806 Coimbra", Polish "80-228 Gdańsk", before a capitalized town; Japanese "〒160-5792"
        ("ZIP_CODE", r"(?<![\w/.-])(?P<v>\d{4}-\d{3}|\d{2}-\d{3})(?=[ \t]+(?-i:\p{Lu}\p{Ll}))", 0.6, "v", None),
        # a Brazilian CEP at a line's start before the town ("23221-263 Rio de Janeiro/RJ"); a Swiss, German or
        # Austrian code after its country letter ("CH-4026 Basel"); a Spanish code in brackets after the town
        # ("A Coruña (15005)")
        ("ZIP_CODE", r"(?:\n|^)[ \t]*(?P<v>\d{5}-\d{3})(?=[ \t]+\p{Lu}\p{Ll})", 0.6, "v", None, _AFTER_COMMA_OR_LINE),
        ("ZIP_CODE", r"\b(?:CH|D|A|F|B|L|I)-(?P<v>\d{4,5})(?=[ \t]+\p{Lu}\p{Ll})", 0.7, "v", None, _country_dash_gate),
        ("ZIP_CODE", r"\((?P<v>\d{5})\)(?<=\p{Lu}\p{Ll}+[ ]\(\d{5}\))", 0.5, "v", None, Starts(None, "(")),
        ("ZIP_CODE", r"〒[ ]?(?P<v>\d{3}-?\d{4})\b", 0.9, "v", None, _jp_postal_gate),
        # X12 EDI: "N4*CHICAGO*IL*606450051~"
        ("ZIP_CODE", r"\bN4\*[^*~\n]+\*[A-Z]{2}\*(?P<v>\d{5}(?:-?\d{4})?)(?=~|\*|$)", 0.85, "v", None, _x12_gate),
        # a vCard's ADR: ";;street;city;region;postcode;country"
        ("ZIP_CODE", r"(?m)^ADR[^:\n]{0,60}:(?:[^;\n]*;){5}(?P<v>[^;\n]{3,10})(?=;|$)", 0.8, "v", None, words_gate(["adr"])),
        # HL7 v2 addresses: "...^Tucson^AZ^85741^USA"
        ("ZIP_CODE", r"\^(?-i:[A-Z]{2}|[A-Z][a-z]+(?:[ ][A-Z][a-z]+)?)\^(?P<v>\d{5}(?:-\d{4})?)(?=[\^|\r\n]|\Z)", 0.85, "v", None,
         _hl7_caret_gate),
        # ... any country's code in the postcode's place, before the country ("^Toowong^QLD^4066^AUS|", "^Co.
        # Dublin^D04 R881^IE|", "^MB^R3J 1A0^CAN|")
        ("ZIP_CODE", r"\^[^\^|~\n]{2,30}\^(?P<v>(?-i:(?=[A-Z0-9 -]*\d)[A-Z0-9]{3,5}(?:[ -][A-Z0-9]{3,4})?))"
         r"(?=\^(?-i:[A-Z]{2,3})(?:[|~\n^]|$))", 0.85, "v", None, _hl7_caret_gate),
        # an Irish Eircode after its town on a form's line ("Galway  H91 FFXP", "Sligo  F91 CTT7")
        ("ZIP_CODE", r"(?<=\p{L}[a-z]{2,},?[ \t]{1,4})(?-i:(?:[ACDEFHKNPRTVWXY]\d{2}|D6W)[ ][0-9ACDEFHKNPRTVWXY]{4})\b", 0.7, 0,
         None, _eircode_gate),
        # UK postcode (outward + inward), Canadian postal code
        (
            "ZIP_CODE",
            r"\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?)\s?\d[ABD-HJLNP-UW-Z]{2}\b",
            0.6,
            0,
            None,
            Starts(_postcode_head),
        ),
        (
            "ZIP_CODE",
            r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s?\d[ABCEGHJ-NPRSTV-Z]\d\b",
            0.6,
            0,
            None,
            Starts(_postcode_head),
        ),
        # five digits before a capitalized city, as written in much of Europe ("75004 Paris")
        # (six digits in Romania, "702 00" in Czechia, Slovakia and Sweden)
        (
            "ZIP_CODE",
            # (one blank or a tab between: two blanks or more are a column's gap, "80053  Composite filling  €358")
            r"(?:,\s|\n|^)(?P<v>\d{4,6}|\d{3}[ ]\d{2})(?=(?:[ ]|\t+)(?-i:[A-ZÄÖÜ][a-zäöüéèßșțăâîşţ]+))",
            0.5,
            "v",
            None,
            _AFTER_COMMA_OR_LINE,
        ),
        # a US state written out ("Seattle, Washington 98126"), an Australian state ("Hobart TAS 7329")
        # (the state's first word is a word of its own: `\b` before it, a space after it)
        (
            "ZIP_CODE",
            r"\b(?i:" + _STATE_NAMES + r")\s+(?P<v>\d{5}(?:-\d{4})?)\b",
            0.85,
            "v",
            None,
            Starts(_STATE_FIRST_WORDS.__contains__),
        ),
        (
            "ZIP_CODE",
            r"\b(?:NSW|VIC|QLD|TAS|ACT|SA|WA|NT)\s+(?P<v>\d{4})\b",
            0.75,
            "v",
            None,
            Starts(_AU_STATES.__contains__),
        ),
        # Dutch "2037 PE Haarlem" and Irish Eircodes ("Cork, T23 WFN7") at the end of an address
        ("ZIP_CODE", r"(?:,\s|\n|^)(?P<v>[1-9]\d{3}\s?[A-Z]{2})(?=\s+[A-Z][a-z])", 0.6, "v", None, _AFTER_COMMA_OR_LINE),
        ("ZIP_CODE", r"(?:,\s*|\n|^)(?P<v>[ACDEFHKNPRTVWXY]\d[\dW]\s?[\dACDEFHKNPRTVWXY]{4})\b", 0.6, "v", None, _AFTER_COMMA_OR_LINE),
        # ... after an Irish county or a Dublin district: "Co. Clare V95 H6H8", "Dublin 24 D24 A1X8"
        (
            "ZIP_CODE",
            r"\b(?:co\.?[ ](?-i:\p{Lu}\p{Ll}+)|dublin[ ]\d{1,2}w?)[ ,]+(?P<v>(?-i:" + _EIRCODE + r"))\b",
            0.8,
            "v",
            None,
            Starts(prefix_test("co", "dublin")),
        ),
        # 6-digit (India, Nigeria) or 4-digit codes after the city of a street address on the same line
        # ("10 Park Street, Chennai - 600 045", "Adeola Odeku Street, Lagos 102665")
        (
            "ZIP_CODE",
            r"(?i:\b(?:" + lx.STREET_TYPES + r"|nagar|salai|marg|straat|weg|laan|gracht|strasse|straße)\b)"
            r"[^\n\d]{0,40}?\b[A-Z][a-z]+(?:\s[A-Z][a-z]+)?,?\s(?:-\s)?(?P<v>[1-9]\d{5}|[1-9]\d{2}\s\d{3})\b(?![.,]?\d)",
            0.6,
            "v",
            None,
            Starts(_ZIP_AFTER_STREET_WORDS.__contains__, pre=_six_digit_gate),  # the street word is a word of its own
        ),
        ("ZIP_CODE", r"\b\d{5}\b", 0.2, 0, None, Starts(_digits(5, 5))),
    ]

    def __init__(self, entities: Iterable[str], language: str = "en"):
        super().__init__(entities, language, context=["zip", "postal", "postcode", "address", "mail"])


# ---------------------------------------------------------------------------------------------------------
# Dates and ages

_MONTHS = (
    r"jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|aug(?:ust|\.)?|"
    r"sep(?:t(?:ember)?|\.)?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?|"
    r"janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|"
    r"januar|februar|märz|maerz|juni|juli|oktober|dezember|enero|febrero|marzo|abril|mayo|junio|julio|"
    r"agosto|septiembre|octubre|noviembre|diciembre|"
    # Italian, Portuguese, Dutch, Polish (genitive, as in dates), Turkish
    r"gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|janeiro|fevereiro|março|marco|maio|"
    r"junho|julho|setembro|outubro|dezembro|januari|februari|maart|mei|augustus|stycznia|lutego|marca|kwietnia|"
    r"maja|czerwca|lipca|sierpnia|września|wrzesnia|października|pazdziernika|listopada|grudnia|ocak|şubat|subat|"
    r"mart|nisan|mayıs|mayis|haziran|temmuz|ağustos|agustos|eylül|eylul|ekim|kasım|kasim|aralık|aralik"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MON = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)\d{2}"
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+(?:the\s+)?)?"
_ORD = r"(?:st|nd|rd|th)?"
# The words the date patterns are made of, in lower case (a word never holds "."): what `_MONTHS` matches (its
# alternatives written out), the weekdays of `_WEEKDAY`, `_DAY` (with `_ORD`) and `_YEAR`.
_MONTH_FORMS = frozenset(
    "jan january feb february mar march apr april may jun june jul july aug august sep sept september oct october "
    "nov november dec december janvier février fevrier mars avril mai juin juillet août aout septembre octobre "
    "novembre décembre januar februar märz maerz juni juli oktober dezember enero febrero marzo abril mayo junio "
    "julio agosto septiembre octubre noviembre diciembre "
    # Italian, Portuguese, Dutch, Polish (genitive), Turkish: as `_MONTHS`
    "gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre janeiro fevereiro março marco maio "
    "junho julho setembro outubro dezembro januari februari maart mei augustus stycznia lutego marca kwietnia maja "
    "czerwca lipca sierpnia września wrzesnia października pazdziernika listopada grudnia ocak şubat subat mart "
    "nisan mayıs mayis haziran temmuz ağustos agustos eylül eylul ekim kasım kasim aralık aralik".split()
)
_WEEKDAY_FORMS = frozenset(
    d + day for d in "mon tue tues wed wednes thu thur thurs fri sat satur sun".split() for day in ("", "day")
)
_DAY_FORMS = frozenset([str(d) for d in range(1, 32)] + [f"0{d}" for d in range(1, 10)])
_DAY_ORD_FORMS = frozenset(d + o for d in _DAY_FORMS for o in ("", "st", "nd", "rd", "th"))


def _month_gate(text: str) -> bool:
    """Necessary for the month-name rules: a word that is a month name or abbreviation (or a non-ASCII text)."""
    words = ascii_lower_words(text)
    return words is None or not _MONTH_FORMS.isdisjoint(words)


def _weekday_or_month(word: str) -> bool:
    return word in _WEEKDAY_FORMS or word in _MONTH_FORMS


def _day_first(word: str) -> bool:
    """Where "14 March", "the 3rd of June", "Tuesday 14 March" can start."""
    return word in _DAY_ORD_FORMS or word in _WEEKDAY_FORMS or word == "the"


def _year_form(word: str) -> bool:
    return len(word) == 4 and word.startswith(("19", "20")) and word[2:].isdigit()


def _eight_digit_date(word: str) -> bool:
    return len(word) == 8 and word.startswith(("19", "20")) and word.isdigit()


with_firsts(_weekday_or_month, {w[0] for w in _WEEKDAY_FORMS | _MONTH_FORMS})
with_firsts(_day_first, {w[0] for w in _DAY_ORD_FORMS | _WEEKDAY_FORMS} | {"t"})
with_firsts(_year_form, "12")
with_firsts(_eight_digit_date, "12")


_ORDINAL_WORDS = (
    r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|"
    r"fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth|"
    r"(?:twenty|thirty)[ -](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
)
_NUMBER_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|" \
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|oh)"
_YEAR_WORDS = (
    rf"(?:nineteen|twenty)[ -]{_NUMBER_WORD}(?:[ -]{_NUMBER_WORD})?|two\s+thousand(?:\s+and)?(?:[ -]{_NUMBER_WORD}){{0,2}}"
)
_UPPER_MONTH = re.compile(r"\d(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)")


_ORDINAL_GATE = words_gate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth "
    "sixteenth seventeenth eighteenth nineteenth twentieth thirtieth".split()
)


def _date_words_gate(text: str) -> bool:
    """Necessary for the dates in words: a month word, and an ordinal word or "day of" ("5th day of May": the rule
    has a single space there)."""
    return _month_gate(text) and (_ORDINAL_GATE(text) or "day of" in text.lower())


_SLASH_YEAR = re.compile(r"/(?:19|20)\d\d")


def _slash_year_gate(text: str) -> bool:
    return _SLASH_YEAR.search(text) is not None


def _expiry_gate(text: str) -> bool:
    if "/" not in text:
        return False
    low = text.lower()
    return "exp" in low or "valid" in low or "good" in low


def _upper_month_gate(text: str) -> bool:
    return _UPPER_MONTH.search(text) is not None


def _cjk_date_gate(text: str) -> bool:
    return "년" in text or "年" in text


_EIGHT_DIGITS = re.compile(r"\d{8}")


def _eight_digits_gate(text: str) -> bool:
    return _EIGHT_DIGITS.search(text) is not None


def _two_digits(word: str) -> bool:
    return len(word) == 2 and word.isdigit()


with_firsts(_two_digits, "0123")


_TWO_TWO = re.compile(r"\d\d/\d\d")


def _two_two_gate(text: str) -> bool:
    return _TWO_TWO.search(text) is not None


def _slash_gate(text: str) -> bool:
    return "/" in text

# Each rule begins at a word (`\b` or a look-behind before a word character, see `Starts`) of a known form: the
# day or month of a numeric date (one or two digits, then a separator), a year (four digits, then a
# separator), a weekday, a month (a whole word: "." or a blank after it), a day with its ordinal, "the", a date
# word, an eight-digit date (nothing of a word around it).
# a date read out in a call ("nineteen november twenty twenty four", "third july nineteen sixty seven", "the
# twenty first of may"): a day in words, a month's name, a year in words; an ordinal day or a year is needed
# ("one may argue" is no date)
_UNITS_WORDS = "one|two|three|four|five|six|seven|eight|nine"
_ORDINAL_FIRSTS = (  # the words a spoken ordinal day begins with (`_ORDINAL_WORDS` spells the ordinals out)
    "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|"
    "fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth"
)
_SPOKEN_DAY_NUMBER = (
    rf"(?:twenty[ -](?:{_UNITS_WORDS})|thirty[ -]one|{_UNITS_WORDS}|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty)"
)
_SPOKEN_DAY_ORDINAL = rf"(?:{_ORDINAL_WORDS})"
_TENS_WORDS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_SPOKEN_YEAR = (
    rf"(?:(?:nineteen|twenty)[ ](?:(?:{_TENS_WORDS})(?:[ -](?:{_UNITS_WORDS}))?|oh[ ](?:{_UNITS_WORDS})|ten|eleven|"
    rf"twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|hundred)"
    rf"|two[ ]thousand(?:[ ]and)?(?:[ ](?:(?:twenty)(?:[ -](?:{_UNITS_WORDS}))?|{_UNITS_WORDS}|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen))?)"
)
_SPOKEN_MONTH = "january|february|march|april|may|june|july|august|september|october|november|december"
_SPOKEN_DATE = (
    rf"\b(?:(?:{_SPOKEN_DAY_ORDINAL})[ ](?:of[ ](?:{_SPOKEN_MONTH})|(?!may\b)(?:{_SPOKEN_MONTH})|may(?=[ ]{_SPOKEN_YEAR}))"
    rf"(?:[ ]{_SPOKEN_YEAR})?"  # ("the first may be hard": "may" needs "of" or a year)
    rf"|(?:{_SPOKEN_DAY_NUMBER})[ ](?:{_SPOKEN_MONTH})[ ]{_SPOKEN_YEAR}"
    rf"|(?:{_SPOKEN_MONTH})[ ](?:the[ ])?(?:(?:{_SPOKEN_DAY_ORDINAL})(?:[ ]{_SPOKEN_YEAR})?|(?:{_SPOKEN_DAY_NUMBER})[ ]{_SPOKEN_YEAR}))\b"
)
_SPOKEN_DATE_STARTS = frozenset(
    (_UNITS_WORDS + "|" + _ORDINAL_FIRSTS + "|" + _SPOKEN_MONTH + "|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
     "seventeen|eighteen|nineteen|twenty|thirty").split("|")
)


def _spoken_date_start(word: str) -> bool:
    return word in _SPOKEN_DATE_STARTS


with_firsts(_spoken_date_start, {w[0] for w in _SPOKEN_DATE_STARTS})


def _spoken_date_gate(text: str) -> bool:
    return _SPOKEN_TOKEN.search(text) is not None or "teenth" in text or "first" in text or "third" in text


# a bank statement's line that opens with its date written DDMMYY ("220224 CHQ 000123  2682.35DR"), before a
# transaction's code in capitals
_STATEMENT_DATE = (
    r"(?m:^)[ \t]*(?P<v>(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2})[ \t]+"
    r"(?-i:(?:BGC|CHQ|TFR|POS|ATM|DD|SO|INT|FEE|DEP|FPI|FPO|BP|DEB|VIS|CR|DR|BACS|SEPA|CASH|CPT|OBP|STO|CHG)\b)"
)


def _swift_gate(text: str) -> bool:
    return ":61:" in text or ":32A:" in text or ":60F:" in text or ":62F:" in text or ":60M:" in text or ":30:" in text


def _isa_gate(text: str) -> bool:
    return "ISA*" in text


def _mrz_gate(text: str) -> bool:
    return "<<" in text


_YYMMDD = r"\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"


class FullDateRecognizer(_RegexRecognizer):
    RULES = [
        # SWIFT messages: the value date of a transfer (":32A:251004CHF1146,51"), a statement's balances
        # (":60F:C240405EUR...") and entries with their booking date (":61:2308160816C172,25")
        ("DATE_TIME", rf"(?m:^):(?:32A|30|60[FM]|62[FM]|64|65):[CD]?(?P<v>{_YYMMDD})(?=[A-Z]{{3}}|\s|$)", 0.8, "v",
         None, _swift_gate),
        ("DATE_TIME", rf"(?m:^):61:(?P<v>{_YYMMDD}(?:(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))?)(?=R?[CD])", 0.8, "v",
         None, _swift_gate),
        # an X12 interchange's date (ISA09: "ISA*00*...*ZZ*PAYER0998     *230519*1046*")
        ("DATE_TIME", rf"\bISA(?:\*[^*~\n]*){{8}}\*(?P<v>{_YYMMDD})\*\d{{4}}\*", 0.8, "v", None, _isa_gate),
        # a passport's machine-readable zone: birth date and expiry after the nationality
        # ("9886263572GBR3902024F2803168<<<")
        ("DATE_TIME", rf"(?m:^)[A-Z0-9<]{{9}}\d[A-Z<]{{3}}(?P<v>{_YYMMDD})\d[MFX<]", 0.8, "v", None, _mrz_gate),
        ("DATE_TIME", _SPOKEN_DATE, 0.6, 0, None, Starts(_spoken_date_start, pre=_spoken_date_gate)),
        # a log entry's month and day before its time ("7/14 4:10p Sent BP cuff", "10/1 13:40 Spoke w/ daughter")
        ("DATE_TIME", rf"(?m:^)[ \t]*(?P<v>{_MON}/{_DAY})[ \t]+(?=\d{{1,2}}:\d{{2}})", 0.7, "v", None, _slash_gate),
        # a date written YYYYMMDD alone ("next contact is 20250117", "Next visit 20250207")
        ("DATE_TIME", r"(?<![\w./-])(?:19[3-9]\d|20[0-4]\d)(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?![\w/-]|[.,]\d)",
         0.55, 0, None, Starts(_digits(8, 8))),
        ("DATE_TIME", _STATEMENT_DATE, 0.7, "v", None, words_gate(
            "bgc chq tfr pos atm dd so int fee dep fpi fpo bp deb vis bacs sepa cash cpt obp sto chg".split())),
        # 03/14/2023, 14/03/2023, 3-14-23, 14.03.2023
        (
            "DATE_TIME",
            rf"\b(?:{_MON}|{_DAY})([/.-])(?:{_DAY}|{_MON})\1(?:{_YEAR}|\d{{2}})\b(?![.-]\d)",
            0.8,
            0,
            None,
            Starts(_DAY_FORMS.__contains__),
        ),
        # 2023-03-14, 2023/03/14; an ISO 8601 timestamp whole ("2025-11-29T04:57:18.163Z", a log's field)
        (
            "DATE_TIME",
            rf"\b{_YEAR}([/.-]){_MON}\1{_DAY}(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d{{1,9}})?)?"
            rf"(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?\b|\b)",
            0.85,
            0,
            None,
            Starts(_year_form),
        ),
        # an iCalendar date ("DTSTART:20240918T144500", "BDAY:19870312", "DTSTART;TZID=Europe/London:20240918T1445")
        (
            "DATE_TIME",
            r"\b(?:DTSTART|DTEND|DTSTAMP|DUE|BDAY|RECURRENCE-ID)(?:;[^:\n]{0,60})?:(?P<v>(?:19|20)\d{6})(?:T\d{6}Z?)?\b",
            0.85,
            "v",
            None,
            words_gate(["dtstart", "dtend", "dtstamp", "due", "bday", "recurrence"]),
        ),
        # 08-MAY-2023, 21-Jun-25, 3/Feb/2021
        (
            "DATE_TIME",
            rf"\b{_DAY}([/.-])(?:{_MONTHS})\1(?:{_YEAR}|\d{{2}})\b",
            0.85,
            0,
            None,
            Starts(_DAY_FORMS.__contains__, pre=_month_gate),
        ),
        # March 14, 2023 / Mar. 14th / Tuesday, March 14 2023
        (
            "DATE_TIME",
            rf"\b{_WEEKDAY}(?:{_MONTHS})\.?[^\S\n]+{_DAY}{_ORD}\b(?!:\d)(?:,?\s+{_YEAR}\b)?",
            0.8,
            0,
            None,
            Starts(_weekday_or_month, pre=_month_gate),
        ),
        # 14 March 2023 / 14th of March / the 3rd of June / le 14 mars 2023
        (
            "DATE_TIME",
            rf"\b{_WEEKDAY}(?:the\s+)?{_DAY}{_ORD}\.?\s+(?:of\s+|de\s+)?(?:{_MONTHS})\b\.?(?:,?\s+(?:de\s+)?{_YEAR}\b)?",
            0.8,
            0,
            None,
            Starts(_day_first, pre=_month_gate),
        ),  # noqa: E501
        # March 2023 / February '23 (month and year)
        (
            "DATE_TIME",
            rf"\b(?:{_MONTHS})\.?(?:,?\s+{_YEAR}\b|[ ]?['’]\d{{2}}\b)",
            0.6,
            0,
            None,
            Starts(_MONTH_FORMS.__contains__, pre=_month_gate),
        ),
        # 3/14 or 14/03 (month and day without a year) after a date word
        (
            "DATE_TIME",
            rf"\b(?:on|dated?|dob|dos|seen|visit|admitted|discharged|since|until|from|review|reviewed|due|ref|"
            r"taken|shipped|delivered|received|collected|administered|started|stopped|expires?|exp|last|next|thru|"
            r"through)\s*:?\s*"
            rf"(?P<v>{_MON}/{_DAY}|{_DAY}/{_MON})\b(?![/.]\d)(?![ \t]*(?:tabs?|tablets?|caps?|pills?|doses?|of)\b)",
            0.7,
            "v",
            None,
            Starts(
                prefix_test(
                    "on", "date", "dob", "dos", "seen", "visit", "admitted", "discharged", "since", "until", "from",
                    "review", "due", "ref", "taken", "shipped", "delivered", "received", "collected", "administered",
                    "started", "stopped", "expire", "exp", "last", "next", "thru", "through",
                ),
                pre=_slash_gate,
            ),
        ),  # noqa: E501
        # "admitted on the 20th": a day of the month alone after "on the" (not "on the 3rd floor", "on the 2nd
        # attempt"; "the 4th of July" is a whole date above)
        (
            "DATE_TIME",
            rf"\bon\s+(?:the|teh|th)\s+(?P<v>{_DAY}(?:st|nd|rd|th))\b(?!\s*(?:of\b|[/.-]\d|(?:floor|fl|storey|"
            r"story|level|century|centuries|percentile|centile|anniversary|birthday|day|week|month|year|time|attempt|"
            r"try|dose|cycle|visit|line|place|round|page|row|item|step|post-?op|call|occasion|go|ward|bed)\b))",
            0.6,
            "v",
            None,
            Starts(prefix_test(exact=("on",)), pre=words_gate(["the", "teh", "th"])),
        ),
        # day and month written with two digits each, anywhere ("Progress note 02/09", "booked for 03/12", "(14/07)"):
        # not part of a longer number, a fraction's or a score's shape ("7/10", "120/80"); a score's keep-phrase
        # ("pain 10/10") still vetoes it
        (
            "DATE_TIME",
            r"(?<![\w/.:,-])(?:(?:0[1-9]|[12]\d|3[01])/(?:0[1-9]|1[0-2])|(?:0[1-9]|1[0-2])/(?:0[1-9]|[12]\d|3[01]))"
            r"(?![\w/]|[.,:-]\d)",
            0.55,
            0,
            None,
            Starts(_two_digits, pre=_two_two_gate),
        ),
        # a weekday and month/day ("Monday 8/3", "Tuesday 12/6")
        (
            "DATE_TIME",
            rf"\b(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+{_MON}/{_DAY}\b(?!/)",
            0.8,
            0,
            None,
            Starts(_WEEKDAY_FORMS.__contains__, pre=_slash_gate),
        ),
        # 19490224 on its own (a key's value, a log's field): a valid date of the last 130 years
        (
            "DATE_TIME",
            r"(?<![\w.,/-])(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?![\w.,/-])",
            0.6,
            0,
            None,
            Starts(_eight_digit_date),
        ),
        # 20220120115254, 202201201152 (HL7, compact log stamps): a valid date and time of day
        (
            "DATE_TIME",
            r"(?<![\w.,/-])(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d)?"
            r"(?:\.\d{1,4})?(?:[+-]\d{4})?(?![\w.,/-])",
            0.6,
            0,
            None,
            _eight_digits_gate,
        ),
        # 12FEB2024, 22JUL, 15JUL31 (airline, clinical-trial and bank records): upper case only, as they write it
        (
            "DATE_TIME",
            r"(?<![\w])(?-i:(?:0?[1-9]|[12]\d|3[01])(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(?:\d{4}|\d{2})?)"
            r"(?![\w])",
            0.7,
            0,
            None,
            _upper_month_gate,
        ),
        # 2024년 10월 27일, 2022年3月12日 (Korean, Japanese, Chinese)
        ("DATE_TIME", r"\b(?:19|20)\d{2}\s?[년年]\s?\d{1,2}\s?[월月]\s?\d{1,2}\s?[일日]", 0.85, 0, None, _cjk_date_gate),
        # a card's expiry ("exp 11/26", "Expiry: 09/2030", "exp": "12/27")
        (
            "DATE_TIME",
            r"\b(?:exp(?:iry|iration|ires)?(?:\s+date)?|valid\s+(?:thru|through|until)|good\s+thru)[\"']?\s*[:=]?\s*[\"']?"
            r"(?P<v>(?:0[1-9]|1[0-2])\s?/\s?(?:\d{2}|20\d{2}))\b",
            0.8,
            "v",
            None,
            _expiry_gate,
        ),
        # month and year "05/2011" (an address history, a card): a month with its zero, a 19xx/20xx year
        ("DATE_TIME", r"(?<![\w/.-])(?:0[1-9]|1[0-2])/(?:19|20)\d{2}(?![\w/]|[.-]\d)", 0.6, 0, None, _slash_year_gate),
        # dates in words: "the thirtieth of September, nineteen sixty-eight", "december fourteenth two thousand
        # one", "this 5th day of February, 2021"
        (
            "DATE_TIME",
            rf"\b(?:(?:the\s+)?(?:(?:{_ORDINAL_WORDS})\s+(?:day\s+)?of|{_DAY}(?:st|nd|rd|th)\s+day of)\s+(?:{_MONTHS})"
            rf"|(?:{_MONTHS})\s+(?:the\s+)?(?:{_ORDINAL_WORDS}))(?:,?\s+(?:{_YEAR}|{_YEAR_WORDS}))?\b",
            0.8,
            0,
            None,
            _date_words_gate,
        ),
        # 20230314 after a date label
        (
            "DATE_TIME",
            rf"\b(?:dob|date|born)\s*:?\s*(?P<v>{_YEAR}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))\b",
            0.8,
            "v",
            None,
            # glued to its label ("DOB19850314") the label is not a word of its own: a literal search
            Starts(prefix_test("dob", "date", "born"), pre=lambda text: has_literal(text, ("dob", "date", "born"))),
        ),  # noqa: E501
    ]

    def __init__(self, entities: Iterable[str], language: str = "en"):
        super().__init__(entities, language, context=["dob", "born", "birth", "date", "admitted", "visit"])


class AgeOver89Recognizer(_RegexRecognizer):
    RULES = [
        (
            "AGE",
            r"\b(?:9\d|1[01]\d)(?=\s*(?:-|\s)?\s*(?:years?|yrs?|y/?o|y\.o\.|yo)\b)",
            0.85,
            0,
            None,
            Starts(prefix_test("9", "10", "11")),
        ),
        ("AGE", r"\b(?:age|aged)\s*:?\s*(?P<v>9\d|1[01]\d)\b", 0.85, "v", None, Starts(prefix_test("age"))),
        ("AGE", r"\b(?:nonagenarian|centenarian)\b", 0.6, 0, None, words_gate(["nonagenarian", "centenarian"])),
    ]


# ---------------------------------------------------------------------------------------------------------
# Phones

_PHONE_CANDIDATE = re.compile(
    r"(?<![\w/.+-])(?:(?:\+|00)\d{1,3}[ \u00a0\u202f.-]?|1[ .-]?(?=\())?(?:\(\d{1,5}\)[ \u00a0\u202f.-]?)?\d{1,10}"
    r"(?:[ \u00a0\u202f.-]\d{1,8}){0,5}"
    r"(?![\w/]|[.-]\d)"  # never across a line's end or a tab: "+27 72 421 5941\n81 Road" is a number, an address
    r"|(?<![\w/.+-])\+\d{7,15}\b|(?<![\w/.+-])\(\d{3}\)\s?\d{3}[\s.-]?\d{4}\b|(?<![\w/.-])\d{10,12}(?!\w)"
    r"|(?<![\w/.+-])0\d{1,4}/\d{3,8}(?:-\d{1,5})?(?![\w/]|[.-]\d)"  # German "040/946542-55"
)
# a US area code before a slash ("614/470-8045"): its own pattern, searched where a "/" is (an alternative of the
# candidates' pattern made all of it nine times slower)
_US_SLASH_PHONE = re.compile(r"(?<![\w/.+-])[2-9]\d{2}/\d{3}-\d{4}(?![\w/]|[.-]\d)")
# national formats tried for a number written without its country code ("0161 338 1713", "(02) 8134 7594")
_NATIONAL_REGIONS = (
    "US", "GB", "DE", "FR", "IN", "CA", "AU", "NL", "IE", "ES", "IT", "BE", "CH", "AT", "JP", "NG", "ZA", "BR",
    "MX", "PL", "SE", "NO", "DK", "FI", "PT", "NZ", "KE", "GH", "PH", "SG", "KR", "TR",
)  # fmt: skip
# shapes that are not phone numbers: a drug's NDC code (4-4-2, 5-3-2, 5-4-1) and a date with a time after it
_NOT_NATIONAL = re.compile(
    r"\d{4,5}-\d{3,4}-\d{1,2}|(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2})(?:\s\d{1,2})?"
)  # whole candidates only: "01-23-45-67-89" is a French number
_PHONE_EXT = re.compile(
    r",?[ \t]*(?:\([ \t]*(?:ext\.?|extn\.?|extension|x\.?)[ \t]*\d{1,6}[ \t]*\)|(?:ext\.?|extn\.?|extension|x\.?|#|poste|"
    r"durchwahl|toestel|interno)[ \t]*\d{1,6}\b)",
    re.IGNORECASE,
)
_PHONE_GROUPS = re.compile(r"\d+")
_BR_MOBILE = re.compile(r"\(\d{2}\)[ ]?9\d{4}-\d{4}")
_US_PHONE = re.compile(r"^(?:\+?1[\s.-]?)?(?:\(\d{3}\)|\d{3})(?:[\s.-]?|/(?=\d{3}-))\d{3}[\s.-]?\d{4}$")
_PHONE_CONTEXT_RX = re.compile(
    r"(?:phones?|ph|tel|telephone|mobile|mob|cell|fax|call(?:ed|s|ing)?|call\s?back|contact|reach(?:ed)?|whatsapp|sms|text|"
    r"(?:tele)?phoned|rang|texted|inbound\s+from|outbound\s+to|te1|"  # "Rekha telephoned from", OCR's "Te1:"
    r"(?:my|his|her|their|your)\s+(?:phone\s+|mobile\s+|contact\s+)?number|"
    r"tel[eé]fono|telefone|t[eé]l[eé]phone|t[eé]l|telefon(?:u|nummer|o)?|telem[oó]vel|celular|電話|전화|"
    r"contactar(?:\s+con\s+nosotros)?\s+en\s+el|ll[aá]m(?:enos|anos|e)(?:\s+al)?|appelez(?:-nous)?(?:\s+au)?|"
    r"anrufen\s+unter|chiamare\s+il|bel\s+ons\s+op|ligue(?:\s+para)?|"
    r"line|direct|office|landline|switchboard|dial|nok|next\s+of\s+kin|(?:best|home|work|secondary|alternative|"
    r"alt|other|new)\s+(?:number|no\.?)|alternative|\b[mtwod])"
    r"(?:\s+(?:number|no\.?|#))?"  # "contact number", "mob no."
    r"(?:\s+(?:me\s+|us\s+|sent\s+|on\s+file\s+|(?:[\w'’-]+\s+){1,3})?(?:at|on|to|is|from|back|now))?\W{0,3}[ \t]*$",
    re.IGNORECASE | re.REVERSE,  # searched from the end, where a match must end: the same matches, twice as fast
)


_SPOKEN_DIGITS = "zero|oh|one|two|three|four|five|six|seven|eight|nine"
_SPOKEN_TOKEN = re.compile(rf"(?i)\b(?:{_SPOKEN_DIGITS}|double|triple)\b")
# between the digits: blanks, commas, dashes, or a transcript's pause ("zero two nine six eight ... double two six")
_SPOKEN_PAUSE = r"(?:[ ,-]+|[ ]?(?:\.{2,3}|…)[ ]?)+"
_SPOKEN_NUMBER = re.compile(
    rf"(?i)\b(?:plus[ ,]+)?(?:(?:{_SPOKEN_DIGITS}|double|triple){_SPOKEN_PAUSE}){{4,}}(?:{_SPOKEN_DIGITS})\b"
)
_SPOKEN_STARTS = Starts(frozenset(_SPOKEN_DIGITS.split("|") + ["double", "triple", "plus"]).__contains__)
# read out half in words, half in digits ("nine 8 9 three two four nine one six five", "0 seven 4 8 9 6 8 nine 4 oh 7")
_MIXED_SPOKEN_NUMBER = re.compile(
    rf"(?i)\b(?:plus[ ,]+)?(?:(?:{_SPOKEN_DIGITS}|double|triple|\d){_SPOKEN_PAUSE}){{6,}}(?:{_SPOKEN_DIGITS}|\d)\b"
)
_SPOKEN_WORDS = frozenset(_SPOKEN_DIGITS.split("|") + ["double", "triple", "plus"])


def _spoken_or_digit(word: str) -> bool:
    return word in _SPOKEN_WORDS or (len(word) == 1 and word.isdigit())


_MIXED_SPOKEN_STARTS = Starts(with_firsts(_spoken_or_digit, "0123456789zotfsenidp"))
_DIGITS_THEN_SPOKEN = re.compile(
    rf"(?i)(?<![\w+(])\(?\+?\d{{1,4}}\)?(?:[ ./-]{{1,2}}\(?\d{{1,4}}\)?){{0,3}}[ ./-]{{1,3}}"
    rf"(?:(?:{_SPOKEN_DIGITS}|double|triple){_SPOKEN_PAUSE}){{2,}}(?:{_SPOKEN_DIGITS})\b"
)
_DIGITS_THEN_SPOKEN_STARTS = Starts(DIGIT_FIRST, signs="+(")
_SPOKEN_VALUE = {w: 1 for w in _SPOKEN_DIGITS.split("|")}


def _spoken_digit_count(value: str) -> int:
    """The digits a number read out stands for ("double three" is two; "oh" one)."""
    count = sum(c.isdigit() for c in value)
    for word in _SPOKEN_TOKEN.findall(value):
        w = word.casefold()
        count += 1 if w in _SPOKEN_VALUE else (1 if w == "double" else 2)  # the word after "double" counts too
    return count


_GROUPED_NUMBER = re.compile(r"\(?\d{2,5}\)?(?:[ -]\d{2,5}){1,4}")
# a social security number's shape ("948-10-8091"): the SSN rules' (and no country groups a phone so)
_SSN_SHAPE = re.compile(r"\d{3}-\d{2}-\d{4}")
# a label of codes right before the number ("Tests: 80053 36415" are two CPT codes, not an Indian mobile)
_OTHER_LABEL_BEFORE = re.compile(
    r"(?i)\b(?:tests?|codes?|cpt|hcpcs|icd(?:-?10)?|loinc|snomed|procedures?|items?|orders?|panels?)[ \t]*:[ \t]*\Z"
)
# a flight's departure and arrival times ("LISICN 0203 0056"), never a number
_CLOCK_PAIR = re.compile(r"(?:[01]\d|2[0-3])[0-5]\d[ ](?:[01]\d|2[0-3])[0-5]\d")


@lru_cache(maxsize=64)
def _regions_of_length(regions: tuple[str, ...], digits: int) -> tuple[str, ...]:
    """The regions where a number of `digits` digits can be valid: its national number (after a trunk prefix or
    carrier code of up to 3 digits) has one of the plan's possible lengths. Parsing in the others is wasted."""
    from phonenumbers import PhoneMetadata

    out = []
    for region in regions:
        desc = PhoneMetadata.metadata_for_region(region).general_desc
        lengths = set(desc.possible_length) | set(desc.possible_length_local_only)
        if any(digits - k in lengths for k in range(4)):
            out.append(region)
    return tuple(out)


def _national_grouping(phonenumbers, cand: str, regions: tuple[str, ...]) -> bool:  # noqa: ANN001
    """A number with no label and no country code, grouped as some country writes its numbers ("6395 2123" in
    Singapore, "97955 86219" in India, "04 481 1653" in New Zealand): valid in that country's plan, and its groups
    are the groups of the country's own national format (the trunk 0 aside). Grouping is what tells a phone number
    from an amount or a reference, which a plan alone would often take ("4471 2290" is valid in Germany too)."""
    if (
        not _GROUPED_NUMBER.fullmatch(cand)
        or _NOT_NATIONAL.fullmatch(cand)
        or _CLOCK_PAIR.fullmatch(cand)
        or _SSN_SHAPE.fullmatch(cand)
    ):
        return False
    groups = [len(g) for g in _PHONE_GROUPS.findall(cand)]
    for region in _regions_of_length(regions, sum(groups)):
        try:
            num = phonenumbers.parse(cand, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(num):
            continue
        formatted = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)
        want = [len(g) for g in _PHONE_GROUPS.findall(formatted)]
        if want == groups or (not cand.startswith("0") and formatted.lstrip("(").startswith("0")
                              and [want[0] - 1] + want[1:] == groups):
            return True
    return False


# a toll-free number spelled in letters ("1-800-GET-LOAN", "888-PLUMBER", "1 (855) TAX-HELP"): seven characters
# after the code (an eighth is often written and not dialled), three letters at least
_VANITY_GATE = re.compile(r"8(?:00|33|44|55|66|77|88)\)?[ .-][A-Z0-9]*[A-Z]")
_VANITY = re.compile(
    r"(?<![\w+-])(?:\+?1[ .-]?)?(?:\(8(?:00|33|44|55|66|77|88)\)|8(?:00|33|44|55|66|77|88))[ .-]?"
    r"(?P<rest>[A-Z0-9]{2,8}(?:-[A-Z0-9]{1,8}){0,3})(?![\w-])"
)


def _vanity_ok(m: re.Match) -> bool:
    rest = m.group("rest").replace("-", "")
    return 7 <= len(rest) <= 8 and sum(c.isalpha() for c in rest) >= 3 and rest not in _PUBLIC_VANITY


_PUBLIC_VANITY = frozenset(["MEDICARE"])  # a government's helpline ("1-800-MEDICARE") stays: it is nobody's number


class IntlPhoneRecognizer(EntityRecognizer):
    """US and international phone numbers. Cheap regex candidates; `+CC`/`00CC` forms are validated with
    phonenumbers (the library Presidio's own recognizer uses) on the candidate only, not the whole text."""

    def __init__(self, language: str = "en", regions: tuple[str, ...] = _NATIONAL_REGIONS):
        self.regions = regions
        super().__init__(
            supported_entities=["PHONE_NUMBER"],
            name="IntlPhoneRecognizer",
            supported_language=language,
            context=["phone", "tel", "telephone", "mobile", "cell", "fax", "call", "contact", "number"],
        )

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001, ANN201
        if "PHONE_NUMBER" not in entities:
            return []
        import phonenumbers

        out = []
        for m in _PHONE_CANDIDATE.finditer(text):
            cand = m.group(0).strip()
            s = m.start()
            e = s + len(cand)
            digits = sum(c.isdigit() for c in cand)
            if digits < 7 or digits > 15:
                continue
            before = text[max(0, s - 40) : s]
            labelled = bool(_PHONE_CONTEXT_RX.search(before))
            if _BR_MOBILE.fullmatch(cand):  # "(41) 92019-0092": Brazil's mobile shape, never a ZIP+4
                out.append(_result(self, "PHONE_NUMBER", s, e, 0.7))
                continue
            if _US_PHONE.match(cand) and (not cand.isdigit() or labelled):
                out.append(_result(self, "PHONE_NUMBER", s, e, 0.75 if not cand.isdigit() else 0.6))
                continue
            if cand.isdigit() and _US_PHONE.match(cand):
                # ten bare digits, no label ("next of kin ..., 3132433296"): a phone where the US plan has it
                try:
                    if phonenumbers.is_valid_number(phonenumbers.parse(cand, "US")):
                        out.append(_result(self, "PHONE_NUMBER", s, e, 0.55))
                        continue
                except phonenumbers.NumberParseException:
                    pass
            if cand.startswith(("+", "00")):
                try:
                    num = phonenumbers.parse("+" + cand[2:] if cand.startswith("00") else cand, None)
                except phonenumbers.NumberParseException:
                    continue
                if phonenumbers.is_possible_number(num):
                    valid = phonenumbers.is_valid_number(num)
                    out.append(_result(self, "PHONE_NUMBER", s, e, 0.85 if valid else 0.6))
                elif 9 <= digits and (labelled or (cand.startswith("+") and len(_PHONE_GROUPS.findall(cand)) >= 3)):
                    # a number the library's plan does not know ("+234-1-795-6605", an old "+52 1 33 ..."), written
                    # in groups as numbers are, or after a phone label
                    out.append(_result(self, "PHONE_NUMBER", s, e, 0.6))
                continue
            if labelled and cand.isdigit() and 10 <= digits <= 15:
                # a number typed in one run after a phone word ("by text to 919976137964"): with its country code
                # but no "+", or a national number of some country's plan
                for attempt, region in [("+" + cand, None)] + [(cand, r) for r in self.regions]:
                    try:
                        if phonenumbers.is_valid_number(phonenumbers.parse(attempt, region)):
                            out.append(_result(self, "PHONE_NUMBER", s, e, 0.6))
                            break
                    except phonenumbers.NumberParseException:
                        continue
                continue
            if labelled and (" " in cand or "-" in cand or "." in cand or cand.startswith("(")):
                if _NOT_NATIONAL.fullmatch(cand):
                    continue
                # national format of another country after a phone label ("Tel. 030 1234567")
                for region in self.regions:
                    try:
                        num = phonenumbers.parse(cand, region)
                    except phonenumbers.NumberParseException:
                        continue
                    if phonenumbers.is_possible_number(num):
                        out.append(_result(self, "PHONE_NUMBER", s, e, 0.7))
                        break
            elif (10 <= digits <= 12 or (digits == 9 and cand.startswith("(0"))) and cand.lstrip("(").startswith(
                "0"
            ) and not cand.startswith("00") and not _NOT_NATIONAL.fullmatch(cand):
                # a national number with its trunk 0 and no label ("call us on 0706 484 5434"): only where
                # some country's plan has it as a valid number, not merely possible
                for region in self.regions:
                    try:
                        num = phonenumbers.parse(cand, region)
                    except phonenumbers.NumberParseException:
                        continue
                    if phonenumbers.is_valid_number(num):
                        out.append(_result(self, "PHONE_NUMBER", s, e, 0.6 if labelled else 0.55))
                        break
            elif (
                8 <= digits <= 11
                and not text.endswith('" ', 0, s)  # not a web log's status and size ('HTTP/1.1" 200 37607')
                and not _OTHER_LABEL_BEFORE.search(text, max(0, s - 16), s)  # "Tests: 80053 36415": two codes
                and _national_grouping(phonenumbers, cand, self.regions)
            ):
                out.append(_result(self, "PHONE_NUMBER", s, e, 0.55))
        if "/" in text:
            out.extend(_result(self, "PHONE_NUMBER", *m.span(), 0.75) for m in _US_SLASH_PHONE.finditer(text))
        starts = _SPOKEN_STARTS.positions(text)
        if starts and len(starts) >= 7:
            # a number read out in words: seven digits at least ("oh one seven one, four three five seven oh two four")
            for m in matches_at(_SPOKEN_NUMBER, text, starts):
                if len(_SPOKEN_TOKEN.findall(m.group())) >= 7:
                    out.append(_result(self, "PHONE_NUMBER", m.start(), m.end(), 0.6))
        if starts and len(starts) >= 2:
            for m in matches_at(_MIXED_SPOKEN_NUMBER, text, _MIXED_SPOKEN_STARTS.positions(text) or []):
                words = len(_SPOKEN_TOKEN.findall(m.group()))
                if 2 <= words and sum(c.isdigit() for c in m.group()) >= 2:
                    out.append(_result(self, "PHONE_NUMBER", m.start(), m.end(), 0.6))
        if starts and len(starts) >= 3:
            # begun in digits, ended in words ("1-724-854 nine nine nine two", "+44 749 296 nine three seven two")
            for m in matches_at(_DIGITS_THEN_SPOKEN, text, _DIGITS_THEN_SPOKEN_STARTS.positions(text) or []):
                if 7 <= _spoken_digit_count(m.group()) <= 15:
                    out.append(_result(self, "PHONE_NUMBER", m.start(), m.end(), 0.6))
        if _VANITY_GATE.search(text):
            out.extend(_result(self, "PHONE_NUMBER", *m.span(), 0.6) for m in _VANITY.finditer(text) if _vanity_ok(m))
        for r in out:  # the extension is part of the number ("617.278.2399 ext. 2310")
            ext = _PHONE_EXT.match(text, r.end)
            if ext:
                r.end = ext.end()
        return out


# ---------------------------------------------------------------------------------------------------------
# Identifiers by label

_SEP = (
    # (a form's aside before the colon: "Current Medicaid ID (if any): KD85923F")
    r"\s*(?:(?:number|num|n[úu]m\.?|no\.?|nr\.?|n\.?[º°]|#|id|code)\s*)?(?:\((?:if\s+[a-z]+(?:\s+[a-z]+)?|optional)\)\s*)?"
    r"(?:[:#=/|]|[-–](?=[ \t])|is|of|will\s+be|was|é)?\s*#?\s*"
    r"(?:(?P<paren>\()\s*)?"
)
_ID = r"(?:(?-i:(?!USD|EUR|GBP|CAD|AUD|INR|CHF|JPY|NGN|ZAR|SEK|NOK|DKK|PLN|BRL|MXN)[A-Z]{2,4})[ ](?=\d))?(?=[A-Z0-9/*-]{0,30}\d)[A-Z0-9](?:[A-Z0-9]|[-./](?=[A-Z0-9])|\*(?=\d)|[ ](?=[A-Z0-9]*\d)[A-Z0-9]){3,34}\b"

LABELS: dict[str, str] = {
    "MEDICAL_RECORD_NUMBER": (
        r"mrn|mr\s*#|medical\s+record|med\s+rec|record|chart|patient\s+(?:id|no|number)|pt\s+id|"
        r"hosp(?:ital)?\.?\s+(?:no|number|id)|"
        r"unit\s+(?:no|number)|[ue]mr\s+(?:id|no|number)|ehr\s+(?:id|no)|ur\s+(?:no|number)|urn|"
        r"case\s+(?:no|number)|encounter|admission|accession|specimen|hosp(?:ital)?\.?\s*#|"
        # a UK hospital's case-note number and a report's "PID:" (patient id; not HL7's "PID|" segment)
        r"case[ \t]+notes?(?=[ \t]*(?:no\b|number|#))|pid(?!\w)(?=[ \t]*:)|"
        # other languages: German, Dutch, Spanish, French, Italian, Portuguese
        r"versichertenn(?:r|ummer)|patientenn(?:r|ummer)|pati[eë]ntnummer|historia\s+cl[ií]nica|"
        r"num[ée]ro\s+de\s+dossier|dossier(?:\s+m[ée]dical)?|cartella\s+clinica|prontu[aá]rio|"
        r"patient\s*#|chi|utente|pesel(?:/nr\s+hist)?|nr\s+hist|fallnr(?:/kvnr)?|kvnr|"
        # an Australian UR number in a handover ("ur 88655770", "UR 8865605660")
        r"ur(?=\s+[A-Z]{0,3}-?\d)|n[°º]\s*(?:de\s+)?patient|患者\s*id|患者番号|診察券番号|환자\s*번호|cart[aã]o\s+sus|"
        # French IPP and social-security number, Spanish NHC and CIP, Italian health card, Portuguese SNS user number
        r"ipp|sécurité\s+sociale|securite\s+sociale|nhc|cip(?=\s*[:#])|tessera\s+sanitaria|utente(?:\s+(?:do\s+)?sns)?|"
        # New Zealand NHI, Canadian PHN, Australian IHI, Irish medical card, Northern Irish H&C, Swedish journal
        r"nhi|phn|ihi|medical\s+card|h&c|journaln(?:r|ummer)|"
        # German case number, Kenyan SHA, a South African folder, an inpatient number, Quebec's RAMQ card
        r"fallnummer|sha(?=\s*(?:no|number)\b)|folder(?=\s*(?:no|number)\b)|ip(?=\s*(?:no|number)\b)|ramq|"
        # India's hospital UHID and ABHA health id, Ghana's and Nigeria's NHIS, a South African medical aid, Ontario's
        # OHIP card
        r"uhid|abha(?:\s+(?:health\s+)?id)?|nhis|medical\s+aid|ohip|"
        # "Patient UR580488", "patient 9147 328 866" (the word right before a number); German "Vers.-Nr."
        r"patient(?=[ \t]+(?-i:[A-Z]{0,4})-?\d{3}[\d -]*\d(?![\w-]))|vers\.?-?[ ]?nr|"
        # a lab report's control number ("Control #: 81437598446")
        r"control(?=\s*(?:#|no\b|number))|"
        # an Italian folder ("Cartella n. 32434442"), a Dutch patient number ("Pat.nr. 3972659"), a Portuguese
        # hospital process ("N.º de processo: 388922586"), a "Patient identifier", a "PID" before its number
        r"cartella\s+n\.?(?=\s)|pat\.?\s*nr|processo(?=\s*(?:[:#]|é|e\b|n))|patient\s+identifier|pid(?!\w)(?=[ \t]+\d{5})"
    ),
    "ACCOUNT_NUMBER": (
        # "account", and as typed in a hurry ("acount", "accounnt", "accouunt", "accout")
        r"acc?o{1,2}u{0,2}n{1,2}t|acct|a/c|acc|accout|savings|chequing|checking|compte|apólice|apolice|"
        r"customer\s+(?:id|no|number|ref(?:erence)?)|customer\s*#|client\s+(?:id|no|number)|"
        # "customer C88054665", "Application MTG11309573": the word right before an id
        r"customer(?=\s+[A-Z]{0,4}-?\d)|application(?=\s*:?\s+[A-Z]{0,4}-?\d)|"
        r"contrat(?:\s+d['’]assurance)?|contrato|vertrag|polizza|poliza|póliza|polis(?=\s+[A-Z]{0,4}-?\d)|polisnummer|pension|"
        # customer and account numbers in Polish, German, Swedish, Dutch ("Numer klienta", "Kundennummer", "konto")
        r"numer\s+klienta|kundennummer|kundnummer|klantnummer|konto(?:nummer|nr)?|"
        # "N° client :", "N.º de cliente:", "Tenant reference:", a provident fund's "PF no:" and "UAN:", a pension
        # scheme's member ("iscritto", "partícipe", "adhérent", "Mitgliedsnr.")
        r"cliente|client(?=\s*:)|tenant\s+ref(?:erence)?|pf(?=\s+(?:no|number|a/c))|uan|iscritto|partícipe|participe|"
        r"adhérent|adherent|mitgliedsn(?:r|ummer)|"
        # a Nigerian NUBAN; an account linked to another ("linked ISA-63016508")
        r"nuban|linked(?=\s+[A-Z]{0,4}-?\d)|"
        r"iban|sort\s+code|cif|id\s*#|cust\.?\s*(?:no|#|id|number)|application\s+(?:ref(?:erence)?|id|no|number)|"
        r"id\b|"
        r"routing|aba|loan|mortgage|policy\s+holder\s+id|wallet|billing\s+id|our\s+ref(?:erence)?|"
        r"your\s+ref(?:erence)?|fqtv|frequent\s+fl(?:y|i)er|loyalty|rewards|"
        # a matter's, a case's, an alert's or a claim's number right after its word ("Matter M622673", "Fraud case
        # FRD73853928", "AML ALERT ALRT-9574178"); employee, staff and payroll numbers; a pension plan's number
        r"matter(?!\w)(?=\s*:?\s+[A-Z]{0,4}[-/]?\d)|case(?!\w)(?=\s*(?:#|no\b)|\s*:?\s+[A-Z]{0,4}[-/]?\d)|alert(?!\w)(?=\s*:?\s+[A-Z]{0,4}[-/]?\d)|"
        # a prior authorisation's number, a claim's internal control number (ICN), an e-PA request's key
        r"auth(?:ori[sz]ation)?(?=\s*(?:#|no\b|number|:)|\s+[A-Z]{0,4}-?\d)|icn(?!\w)|key(?!\w)(?=\s*:)|"
        r"employee(?!\w)(?=[\s_.-]*(?:number|no|num|id|ref|#))|employeenumber(?!\w)|employeenum(?!\w)|employeeno(?!\w)|employeeid(?!\w)|staff(?!\w)(?=[\s_.-]*(?:number|no|num|id|ref|#))|"
        r"payroll(?!\w)(?=[\s_.-]*(?:number|no|num|id|ref|#))|personnel(?!\w)(?=[\s_.-]*(?:number|no|num|id|ref|#))|"
        r"emp(?!\w)(?=[\s_.-]*(?:number|no|num|id|ref|#))|plan(?!\w)(?=\s+(?:number|no))|"
        # the same in other languages: a bank's branch and account (Portuguese, Spanish, Italian, Dutch), a
        # transaction, a case file, a claim
        r"conta(?!\w)|cuenta(?!\w)|conto(?!\w)|rekening(?:nummer)?|agência|agencia|branch\s+code|ifsc|bsb|transit(?!\w)(?=\s*(?:no|number|#|:)|\s+\d)|clabe|"
        r"empleado(?!\w)|holder(?!\w)(?=\s*(?:no|number|#))|"
        r"operação|operacao|operación|operacion|opération|expediente|aktenzeichen|zaaknummer|kenmerk|riferimento|"
        r"referencia|referência|référence|schademelding|schadennummer|sinistre|siniestro|sinistro|contratto(?!\w)|"
        # a loan agreement's, a Spanish credit's and an ombudsman's references ("Agreement number: L3094340/52",
        # "Crédito núm.: L4620738/77", "Your ombudsman reference (if known): PNX-2591-A358V")
        r"agreement(?!\w)(?=\s*(?:no\b|number|#|:))|crédito(?!\w)|credito(?!\w)|ombudsman\s+ref(?:erence)?"
    ),
    "HEALTH_PLAN_ID": (
        r"health\s+plan|member\s+id|membership|member|subscriber(?:\s+id)?|insurance(?:\s+id)?|group\s+(?:number|no\.?|#)|"
        # a claim form's "1a. INSURED'S I.D. NUMBER"
        r"insured['’]?s\s+i\.?[ ]?d\.?|"
        r"medicare|medicaid|beneficiary|claim|plan\s+id|insured\s+id|nhs|ahcccs|policy\s+(?:number|no\.?|#|id)|policy|"
        # a call note's "pol W18-3857-397-G"
        r"pol(?!\w)(?=\.?[ \t]+[A-Z]{0,4}[-/ ]?\d)|"
        r"health\s+card|numero\s+de\s+afiliado|número\s+de\s+afiliado|afiliado|medi-cal"
    ),
    "LICENSE_NUMBER": (
        r"driver'?s?\s+licen[cs]e|dl(?=\s*[#:])|licen[cs]e|passport|dea|npi|certificate|cert|permit|"
        r"national\s+id|id\s+card|state\s+id|tax\s+id|tin|ein|itin|nino|national\s+insurance|"
        # national ids of Spain, Portugal, Italy and the Netherlands ("DNI: Y1514027C", "C.F. RSSMRA...", "BSN")
        r"dni|nie(?=\s*[:#])|nif|codice\s+fiscale|bsn|burgerservicenummer|"
        # a Spanish social security affiliation ("N.º afiliación S.S.: 96/73590165/54"), Mexico's CURP and RFC
        r"afiliaci[oó]n(?:\s+(?:a\s+la\s+)?s\.?\s?s\.?)?|curp|rfc|"
        # India's Aadhaar and PAN, Ireland's PPSN, Australia's TFN, New Zealand's IRD, the UK's NI number; a
        # clinician's registration (GMC, MCNZ, AHPRA, HPCSA, "Reg. No", a practice number)
        r"aadhaa?r|pan(?!\w)(?=\s*[:#])|ppsn?(?!\w)|tfn(?!\w)|ird(?!\w)(?=\s+\d)|ni(?!\w)(?=\s+no\b)|gmc(?!\w)|mcnz|ahpra|hpcsa(?:\s+mp)?|"
        r"reg(?!\w)\.?(?=\s+no\b)|registration(?!\w)(?=\s+no\b)|practice(?!\w)(?=\s+no\b)|"
        # pharmacists' and nurses' registrations (GPhC, NMC, HCPC), a passport in a passenger list ("PPT 426112680")
        r"gphc(?!\w)|nmc(?!\w)(?:\s+pin)?|hcpc(?!\w)|ppt(?!\w)|"
        # Brazil's CPF, Nigeria's NIN, Singapore's NRIC/FIN, Germany's identity card; a lawyer's, a solicitor's, a
        # vet's and a French doctor's registrations ("State Bar No. 777621", "SRA no. 902874", "RCVS no.", "RPPS")
        r"cpf(?!\w)|nin(?!\w)(?=\s*[:#])|nric(?:/fin)?|personalausweis(?:-?nr\.?|nummer)?|ausweis(?:-?nr\.?|nummer)|"
        r"state\s+bar|bar(?!\w)(?=\s+(?:no\b|number|#))|sra(?!\w)|rcvs(?!\w)|rpps(?!\w)|adeli(?!\w)|"
        # the Philippines' SSS and PhilSys numbers, Belgium's national register, Italy's "C.F."
        r"sss(?!\w)|philsys|registre\s+national|rijksregister(?:nummer)?|c\.f\.(?=\s*:?\s*[A-Z]{6}\d)"
    ),
    "VEHICLE_ID": r"vin|vehicle\s+id(?:entification)?|licen[cs]e\s+plate|plate|registration|reg",
    "DEVICE_ID": r"serial|s/n|sn\b|device\s+id|device|imei|udi|mac\s+address|implant|pacemaker|pump|asset(?:\s+tag)?|"
    r"dev(?!\w)(?=[ \t]*[=:])",  # a log's "dev=EX39-0636-VMFV"
    "US_SSN": r"ssn|social\s+security|social\s+sec|ss#",
}


# a diagnosis code after a word that is also a label ("Snellen chart (Z71.1)", "record: F41.1"): not an id
_ICD_CODE = r"[A-TV-Z]\d{2}\.\d{1,4}\b"
# a SEPA creditor identifier names the collecting company ("Incassant ID: NL02ZZZ344234452989"), not the payer
_SEPA_CREDITOR = r"[A-Z]{2}\d{2}ZZZ[0-9A-Z]{6,28}\b"


def _label_rule(entity: str, labels: str) -> str:
    return (
        # "POLICY-NO...:", "NHI....:": a fixed-width report's key, hyphenated and filled with dots
        # (or a form's dotted leader after it: "IHI .............. 5531...", "Medical Card No .... 6740987F")
        rf"\b(?:{labels})(?:[ ]?\.{{2,40}}|\.{{0,12}})\)?"
        # ("N0": an OCR'd "No")
        rf"(?:[\s_-]+(?:numbers?|no|n0(?!\w)|num|id|code|ref(?:erence)?|card|account)(?:[ ]?\.{{2,40}}|\.{{0,12}})){{0,2}}"
        # "Patient number at the hospital: PT92947591", "Account at losing provider: VM27425407"
        r"(?:[ \t]+(?:at|with|for|in|from)(?:[ \t]+[^\W\d_]+){1,3}(?=[ \t]*:))?"
        rf"{_SEP}(?!\d{{1,7}}(?:[.,]\d{{3}})*[.,]\d{{2}}(?![\d.,-]))(?!{_ICD_CODE}|{_SEPA_CREDITOR})"
        rf"(?P<v>{_ID})(?![.,]\d)(?(paren)\??\))"  # not an amount ("savings 1.520,00 €"); "loan (LN-2020-5994011)"
    )


_DATE_IN = re.compile(
    rf"(?<![\w/.-])(?:(?:{_MON}|{_DAY})[/.-](?:{_DAY}|{_MON})[/.-](?:{_YEAR}|\d{{2}})|{_YEAR}[/.-]{_MON}[/.-]{_DAY}|"
    rf"{_DAY}[/.-](?:{_MONTHS})[/.-](?:{_YEAR}|\d{{2}}))(?:[ ]\d{{1,2}})?$",
    re.IGNORECASE,
)


def _not_a_date(match: str) -> bool:
    """A labelled value that ends in a date (and maybe an hour) is the date ("Telephone encounter 1/4/24 1:10
    am"); an id with a date inside it ("Claim #: 2023-04-15-0012") is an id."""
    return not _DATE_IN.search(match)


_BARE_YEAR = re.compile(r"(?:(?<![\w./-])|(?<=[^\W\d_]/))(?:19|20)\d{2}$")  # "Case: 2024 review", "NHS/2024": a year


_LAB_VALUE_END = re.compile(r"(?:^|\s)(?-i:[A-Z][A-Za-z0-9]{1,5})[ ]\d{1,3}\.\d{1,2}$")  # "Admission PSA 10.1"


_ONE_DIGIT_CODE = re.compile(r"(?<![\w-])(?=[A-Z0-9]{7,12}(?![\w-]))[A-Z]*\d[A-Z]*(?![\w-])")


def _labelled_id_ok(match: str) -> bool:
    """A labelled value has two digits at least (not a document's short reference: "policy RM-4"), or one in a
    code of seven characters or more in capitals (an identity card's "GYPWFJL5J"), and is no date or year alone."""
    return (
        (sum(c.isdigit() for c in match) >= 2 or bool(_ONE_DIGIT_CODE.search(match)))
        and _not_a_date(match)
        and not _BARE_YEAR.search(match)
        and not _LAB_VALUE_END.search(match)
    )


def _nino_head(word: str) -> bool:
    """Where a NI number can start: two letters alone ("AY 30 11 99 B"), or two letters, six digits and a letter."""
    return (len(word) == 2 and word.isalpha()) or (len(word) == 9 and word[:2].isalpha() and word[2:8].isdigit())


def _dl_head(word: str) -> bool:
    return len(word) == 16


def _plate_head(word: str) -> bool:
    return len(word) == 4 and word[:2].isalpha() and word[2:].isdigit()


def _insee_ok(match: str) -> bool:
    """A French social security number: its last two digits are 97 less its first thirteen modulo 97 (Corsica's
    2A/2B counted as 19/18)."""
    d = match.replace(" ", "").upper().replace("2A", "19").replace("2B", "18")
    return len(d) == 15 and d.isdigit() and 97 - int(d[:13]) % 97 == int(d[13:])


def _has_line_break(text: str) -> bool:
    return "\n" in text


def _phone_digits_ok(match: str) -> bool:
    """A phone number's length: 9 to 15 digits (the value's; a label has none)."""
    return 9 <= sum(c.isdigit() for c in match) <= 15


def _path_gate(text: str) -> bool:
    return "/" in text and _PATH_COLLECTION.search(text) is not None


_PATH_COLLECTION = re.compile(
    r"(?i)/(?:patients?|pts?|members?|customers?|clients?|accounts?|policies|policy|claims?|employees?|cases?)/\w"
)


def _hl7_gate(text: str) -> bool:
    return "^^^" in text


def _mac_gate(text: str) -> bool:
    return text.count(":") >= 5 or text.count("-") >= 5


def _court_list_gate(text: str) -> bool:
    return " v " in text or " v. " in text


def _in1_gate(text: str) -> bool:
    return "IN1|" in text


def _hospital_numbers_gate(text: str) -> bool:
    low = text.lower()
    return ("hospital numbers" in low or "hospital nos" in low or "hosp. nos" in low) and any(c.isdigit() for c in text)


def _hospital_numbers_ok(value: str) -> bool:
    """A record number's length: five digits at least, six characters at least."""
    return sum(c.isdigit() for c in value) >= 5 and len(value) >= 6


def _pid_gate(text: str) -> bool:
    return "PID|" in text


def _messy_phone_ok(value: str) -> bool:
    """Seven to fifteen digits, two OCR'd letters at most, one line break at most, and no date's shape."""
    number = _PHONE_EXTENSION.split(value, 1)[0]
    digits = sum(c.isdigit() for c in number)
    letters = sum(c.isalpha() for c in number)
    return 7 <= digits and digits + letters <= 15 and letters <= 2 and number.count("\n") <= 1 and not (
        _DATE_IN.search(number.rstrip())
    )


_PHONE_EXTENSION = re.compile(_PHONE_EXT.pattern + r"$", re.IGNORECASE)  # the same extension, at the value's end


def _encoded_plus_gate(text: str) -> bool:
    return "%2B" in text or "%2b" in text


def _vcard_gate(text: str) -> bool:
    return "TEL;" in text or "TEL:" in text


def _barcode_gate(text: str) -> bool:
    return "*\n" in text or "*\r" in text or text.rstrip().endswith("*")


def _masked_ssn_gate(text: str) -> bool:
    return "*-**-" in text or "#-##-" in text or "x-xx-" in text or "X-XX-" in text or "* **" in text or "# ##" in text


def _micr_gate(text: str) -> bool:
    return "⑆" in text


def _has_underscore(text: str) -> bool:
    return "_" in text


# Where each label of `LABELS` can begin: its alternatives' characters up to the first non-word character
# (`prefix_test`; "a" of "a/c", "s" of "s/n", "mr" of "mr\\s*#", "licen" of "licen[cs]e").
LABEL_STARTS: dict[str, Callable[[str], bool]] = {
    "MEDICAL_RECORD_NUMBER": prefix_test(
        "mr", "med", "record", "chart", "patient", "pt", "hosp", "unit", "umr", "emr", "ehr", "ur", "case", "encounter",
        "admission", "accession", "specimen", "versich", "pati", "historia", "num", "dossier", "cartella", "prontu",
        "chi", "utente", "pesel", "nr", "fallnr", "kvnr", "cart", "患者", "診察券番号", "환자", "ipp", "sécurité", "securite",
        "nhc", "cip", "tessera", "nhi", "phn", "ihi", "medical", "journaln", "fallnummer", "sha", "folder", "ramq",
        "ip", "uhid", "abha", "nhis", "ohip", "vers", "control", "pat", "processo", exact=("n", "h", "pid"),
    ),
    "ACCOUNT_NUMBER": prefix_test(
        "acc", "aco", "savings", "chequing", "checking", "compte", "apólice", "apolice", "cust", "client", "iban", "sort",
        "cif", "id", "application",
        "contrat", "vertrag", "polizza", "poliza", "póliza", "polis", "pension", "numer", "kund", "klant", "konto",
        "tenant", "pf", "uan", "iscritto", "partícipe", "participe", "adhérent", "adherent", "mitglieds", "nuban",
        "linked",
        "routing", "aba", "loan", "mortgage", "policy", "wallet", "billing", "our", "your", "fqtv",
        "frequent", "loyalty", "rewards", "auth", "rekening", "agência", "agencia", "branch", "ifsc", "bsb", "clabe",
        "operação", "operacao", "operación", "operacion", "opération", "expediente", "aktenzeichen", "zaaknummer",
        "kenmerk", "riferimento", "referencia", "referência", "référence", "schademelding", "schadennummer", "sinistre", "siniestro", "sinistro",
        "ombudsman",
        # whole words only (the label ends at a word's end: `(?!\w)`), not every word they begin
        exact=("a", "matter", "case", "alert", "icn", "key", "employee", "staff", "payroll", "personnel", "emp", "plan",
               "conta", "cuenta", "conto", "transit", "empleado", "holder", "employeenumber", "employeenum",
               "employeeno", "employeeid", "contratto", "agreement", "crédito", "credito"),
    ),
    "HEALTH_PLAN_ID": prefix_test(
        "health", "member", "subscriber", "insur", "group", "medica", "beneficiary", "claim", "plan", "nhs", "ahcccs",
        "policy", "numero", "número", "afiliado", "medi", exact=("pol",),
    ),
    "LICENSE_NUMBER": prefix_test(
        "driver", "dl", "licen", "passport", "dea", "npi", "cert", "permit", "national", "id", "state", "tax", "tin",
        "ein", "itin", "nino", "dni", "nie", "nif", "codice", "bsn", "burger", "afiliaci", "curp", "rfc", "aadha", "pps",
        "mcnz", "ahpra", "hpcsa",
        "cpf", "nric", "personalausweis", "ausweis", "philsys", "registre", "rijksregister", "c",
        exact=("pan", "tfn", "ird", "ni", "gmc", "reg", "registration", "practice", "gphc", "nmc", "hcpc", "ppt",
               "ppsn", "nin", "bar", "sra", "rcvs", "rpps", "adeli", "sss"),
    ),
    "VEHICLE_ID": prefix_test("vin", "vehicle", "licen", "plate", "reg"),
    "DEVICE_ID": prefix_test(
        "serial", "sn", "device", "imei", "udi", "mac", "implant", "pacemaker", "pump", "asset", exact=("s", "dev")
    ),
    "US_SSN": prefix_test("ssn", "social", "ss"),
}  # fmt: skip


def _bleep_log_gate(text: str) -> bool:
    low = text[:2000].lower()
    return "bleep" in low or "pager" in low or "paging" in low


# the type names an extraction answer gives its values, by the entity they are
_TYPED_VALUE_KINDS = {
    "PERSON": "PERSON|NAME|PATIENT|PATIENT_NAME|PER",
    "DATE_TIME": "DATE|DOB|DATE_OF_BIRTH|DATETIME|DATE_TIME",
    "PHONE_NUMBER": "PHONE|PHONE_NUMBER|TELEPHONE|MOBILE|FAX",
    "EMAIL_ADDRESS": "EMAIL|EMAIL_ADDRESS",
    "STREET_ADDRESS": "ADDRESS|STREET|STREET_ADDRESS|LOCATION_ADDRESS",
    "ZIP_CODE": "ZIP|ZIP_CODE|POSTCODE|POSTAL_CODE",
    "MEDICAL_RECORD_NUMBER": "MRN|MEDICAL_RECORD_NUMBER|PATIENT_ID|NHS_NUMBER|HEALTH_ID",
    "ACCOUNT_NUMBER": "ACCOUNT|ACCOUNT_NUMBER|ID|OTHER_ID|IDENTIFIER|MEMBER_ID|POLICY_NUMBER|CLAIM_NUMBER",
    "US_SSN": "SSN|US_SSN",
}


def _typed_value_gate(text: str) -> bool:
    return "type" in text and ("value" in text or "text" in text)


_ID_SHAPED = re.compile(r"[A-Z]-?\d{6}")


def _id_shape_gate(text: str) -> bool:
    return _ID_SHAPED.search(text) is not None


_AGE_WORD = re.compile(r"\d{1,3}(?:yo|y)?")


def _age_word(word: str) -> bool:
    """Where the age before a handover's record number starts: "45" (of "45-year-old", "45 y/o") or "41yo"."""
    return _AGE_WORD.fullmatch(word) is not None


with_firsts(_age_word, "0123456789")


_MONEY_MOVES = ("paid into", "set up from", "deposit", "debit", "transferred", "credited", "overdraft", "on file")


_AGE_THEN_ID = re.compile(r"(?i)(?:old|y/?o),[ \t]+[A-Z0-9]")


def _age_word_gate(text: str) -> bool:
    return _AGE_THEN_ID.search(text) is not None


def _vin_length(word: str) -> bool:
    return len(word) == 17  # `\b` and 17 word characters, then `\b`: the whole word


_LISTED_IDS = frozenset(["ACCOUNT_NUMBER", "MEDICAL_RECORD_NUMBER", "HEALTH_PLAN_ID"])
_AND_ID = re.compile(r"[ \t]+(?:and|&|or)[ \t]+(?P<v>(?-i:[A-Z]{0,4}-?)\d[\dA-Z-]{4,20})\b(?![.,/]\d)")


# a JSON key's or value's quote; in JSON escaped inside a string, analysed with blanks for its backslashes
# (`engine._analysis_view`: '\\"id\\"' reads '  "id  "')
_Q = r"(?:[ ]{1,7}\"|[\"'])?"


class LabelledIdRecognizer(_RegexRecognizer):
    RULES = [
        # the value alone is the finding ("MRN: <MEDICAL_RECORD_NUMBER>"): the label stays for the text's sense and
        # the value gets one pseudonym whatever its label's wording; the validator judges label and value together
        (e, _label_rule(e, lbl), 0.85, ("v", 0), _labelled_id_ok, Starts(LABEL_STARTS[e])) for e, lbl in LABELS.items()
    ] + [
        ("VEHICLE_ID", r"\b[A-HJ-NPR-Z0-9]{17}\b", 0.5, 0, vin_ok, Starts(_vin_length)),
        ("LICENSE_NUMBER", r"\bnpi\W{0,3}(?P<v>\d{10})\b", 0.9, "v", npi_ok, Starts(prefix_test("npi"))),
        ("DEVICE_ID", r"\bimei\W{0,3}(?P<v>\d{15})\b", 0.9, "v", luhn_ok, Starts(prefix_test("imei"))),
        # identifiers by their shape: a UK National Insurance number ("SP387169C", "AY 30 11 99 B"), a UK driving
        # licence ("DAVIE610299D92IG"), a UK vehicle registration ("HG24 BXN"), a French social security number
        # (its key checked)
        ("LICENSE_NUMBER", r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z](?:[ ]?\d{2}){3}[ ]?[A-D]\b",
         0.6, 0, None, Starts(_nino_head)),
        ("LICENSE_NUMBER", r"\b[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}\b", 0.6, 0, None, Starts(_dl_head)),
        ("VEHICLE_ID", r"\b[A-Z]{2}(?:0[2-9]|[1-7]\d)[ ][A-Z]{3}\b", 0.55, 0, None, Starts(_plate_head)),
        ("LICENSE_NUMBER", r"\b[12][ ]?\d{2}[ ]?(?:0[1-9]|1[0-2])[ ]?(?:\d{2}|2[AB])[ ]?\d{3}[ ]?\d{3}[ ]?\d{2}\b", 0.6, 0,
         _insee_ok, Starts(_digits(1, 1))),
        # a document's number beside its type ('"document": {"type": "passport", "number": "906181484"}', YAML's
        # "- type: national_id\n  number: ...")
        ("LICENSE_NUMBER", r"(?i)\btype[\"']?\s*[:=]\s*[\"']?(?:passport|national[_ ]id|id[_ ]card|driving[_ ]licen[cs]e|"
         r"driver'?s?[_ ]licen[cs]e|residence[_ ]permit)[\"']?\s*,?\s*(?:-[ \t]*)?[\"']?(?:number|no|value|id)[\"']?\s*[:=]"
         r"\s*[\"']?(?P<v>[A-Z0-9][A-Z0-9 -]{4,20}[A-Z0-9])", 0.8, "v", None, Starts(prefix_test("type"))),
        # an individual clinician's NPI in X12 (NM1*82*1 ... *XX*2931650768)
        ("LICENSE_NUMBER", r"\bNM1\*(?:82|DN|P3|71|72|DK|DQ|ZZ)\*1\*[^~\n]*?\*XX\*(?P<v>\d{10})(?=~|\*|$)", 0.85, "v",
         npi_ok, _x12_gate),
        # HL7 PID-3, the patient's identifier list, whatever its authority ("PID|1||3808-552-402-NY||RAHIMI^KIAN"), and
        # its second identifier after "~"
        ("MEDICAL_RECORD_NUMBER", r"(?m)^PID\|[^|\n]*\|[^|\n]*\|(?P<v>[A-Z0-9][A-Z0-9-]{2,29})(?=[|^~])", 0.85, "v", None,
         _pid_gate),
        ("MEDICAL_RECORD_NUMBER", r"(?m)^PID\|[^|\n]*\|[^|\n]*\|[^|~\n]*~(?P<v>[A-Z0-9][A-Z0-9-]{2,29})(?=[|^~])", 0.85,
         "v", None, _pid_gate),
        # a UK driving licence written in its groups ("Licence: VENKA 755027 P9 9JL", "Driving licence number: HUANG
        # 962228 J9 957"): the surname's five characters, six digits, then the initials and check characters
        ("LICENSE_NUMBER", r"(?i:licen[cs]e)[^\n:]{0,20}:?[ \t]*(?P<v>[A-Z9]{5}[ ]\d{6}[ ][A-Z0-9]{2}[ ][A-Z0-9]{2,3})(?![\w-])",
         0.8, "v", None, Starts(prefix_test("licen"))),
        # an Italian codice fiscale by its shape ("TPFGKU60S62D285P"): six letters, the birth year, month letter and
        # day, the town's code and a check letter
        ("LICENSE_NUMBER", r"(?-i:\b[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]\b)", 0.7, 0, None,
         Starts(with_firsts(lambda word: len(word) == 16, "abcdefghijklmnopqrstuvwxyz"))),
        # a second passport after the first ("Passport numbers: 220695610 / 45ZC43087")
        ("LICENSE_NUMBER", r"(?i)\bpassport[ \t]+numbers[ \t]*:[ \t]*[A-Z0-9]{6,12}[ \t]*/[ \t]*(?P<v>[A-Z0-9]{6,12})(?![\w-])",
         0.8, "v", None, Starts(prefix_test("passport"))),
        # a network card's MAC address ("F4:DD:1E:56:7D:A5", "D8-B9-2B-8F-CB-6C"): a device's own identifier
        # (a letter among its digits: "10:22:31:05:07:08" is a time stamp's fields)
        ("DEVICE_ID", r"(?<![\w:-])(?=[0-9:-]{0,16}[A-Fa-f])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![\w:-])", 0.75,
         0, None,
         _mac_gate),
        # a court list's claim number before its parties ("14:00  K97LY008  OTIENO WEKESA v NORTHGATE BANK  (small claims")
        ("ACCOUNT_NUMBER", r"(?m)^[ \t]*(?:\d{1,2}[:.]\d{2}[ \t]+)?(?P<v>(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6,12})[ \t]+"
         r"(?=[^\n]{2,60}?[ \t]v\.?[ \t]+[A-Z])", 0.7, "v", None, _court_list_gate),
        # HL7 IN1-36 (policy number) and IN1-49 (insured's id number): the member's number with the insurer
        ("HEALTH_PLAN_ID", r"(?m)^IN1(?:\|[^|\n]*){35}\|(?P<v>[A-Z0-9][A-Z0-9 -]{2,29}[A-Z0-9])(?=[|^~\r\n]|$)", 0.85, "v",
         None, _in1_gate),
        # (or one field earlier, from a feed that counts the segment's name: a code with three digits at least, not a
        # plan's code)
        ("HEALTH_PLAN_ID", r"(?m)^IN1(?:\|[^|\n]*){34}\|(?P<v>(?=(?:[A-Z -]*\d){3})[A-Z0-9][A-Z0-9 -]{2,29}[A-Z0-9])"
         r"(?=[\r\n]|$)", 0.8, "v", None, _in1_gate),
        ("HEALTH_PLAN_ID", r"(?m)^IN1(?:\|[^|\n]*){48}\|(?P<v>[A-Z0-9][A-Z0-9 -]{2,29}[A-Z0-9])(?=[|^~\r\n]|$)", 0.85, "v",
         None, _in1_gate),
        # a list of a patient's numbers at several hospitals ("Hospital numbers: Wexcombe Community Hospital 8821-332-9;
        # Kingsmead General Hospital RXH 835 1900"): every number on the label's line, the hospitals' names between
        ("MEDICAL_RECORD_NUMBER", r"(?<=\b(?i:hospital|hosp\.?)[ \t]+(?i:numbers|nos\.?)[ \t]*:[^\n]{0,300}?)(?<![\w-])"
         r"(?P<v>(?:[A-Z]{2,4}[ ])?[A-Z0-9]*\d[A-Z0-9]*(?:[- ][A-Z0-9]*\d[A-Z0-9]*){0,2})(?![\w-])", 0.7, "v",
         _hospital_numbers_ok, _hospital_numbers_gate),
        # an IPv6 address cut short in a log, after its key ("IP 2001:db8:fb3c:5610:cfee:63be", "src=2001:db8:9ef3:3e88")
        ("IP_ADDRESS", r"(?i)\b(?:ip|src|dst|source|client|remote(?:_addr)?)[ \t]*[=:]?[ \t]*"
         r"(?P<v>(?=[0-9a-f:]*[a-f])[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){3,7})(?![\w:])", 0.7, "v", None,
         Starts(prefix_test("ip", "src", "dst", "source", "client", "remote"))),
        # a social security number masked but for its last four ("SSN ***-**-2488", "###-##-2893", "xxx-xx-4309"),
        # its last four alone after its label ("SSN on file ends in 1207", "Social: 1260"), typed with odd spacing
        # or OCR'd ("SSN: 8 8 7 - 4 5 - 5 4 0 8", "7|6|2|5|2|3|3|0|8", "TIN/SSN: 279 -22- 2981", "#: ___817 52
        # 9834")
        ("US_SSN", r"(?<![\w*#])(?:\*{3}|\#{3}|[xX]{3})[- ](?:\*{2}|\#{2}|[xX]{2})[- ]\d{4}(?![\d-])", 0.7, 0, None,
         _masked_ssn_gate),
        ("US_SSN", r"(?i)\b(?:ssn|social(?:[ \t]+security)?(?:[ \t]+(?:no\.?|number|\#))?)(?![\w-])(?:[ \t]+on[ \t]+file)?"
         r"[ \t]*(?:(?:ends?|ending)[ \t]+(?:in|with)[ \t]+|[:\#][ \t]*)(?P<v>\d{4})(?![\d-]|[.,]\d)", 0.7, ("v", "v"), None,
         Starts(prefix_test("ssn", "social"))),
        ("US_SSN", r"(?i)\b(?:ssn|ss\#|soc(?:ial)?[ \t]+sec(?:urity)?(?:[ \t]+(?:no\.?|number|\#))?)(?![\w-])[ \t]*[:\#.]?"
         r"[ \t]*_*(?P<v>\d(?:[ |.-]{1,3}\d|\d){8})(?![\d|])", 0.7, ("v", "v"), ssn_ok,
         Starts(prefix_test("ssn", "ss", "soc", "tin"))),
        # a passport's number in its machine-readable zone (the second line's first nine characters)
        ("LICENSE_NUMBER", r"(?m:^)(?P<v>[A-Z0-9][A-Z0-9<]{8})\d[A-Z<]{3}\d{7}[MFX<]\d{7}", 0.85, "v", None, _mrz_gate),
        # an Ontario health card number with its version code ("OHIP 1378 202 965 RM"): four, three and three digits,
        # then two letters
        ("MEDICAL_RECORD_NUMBER", r"\b\d{4}[ -]\d{3}[ -]\d{3}[ -][A-Z]{2}\b", 0.6, 0, None, Starts(_digits(4, 4))),
        # a UK sort code and account number written together ("Paid to: 20-14-67 / 73076011", "FPO RODEL PANGILINAN
        # 62-29-71 2745 6393", "49 58 87 / 22460374", "411212 / 79622607"): six digits in pairs, then eight
        ("ACCOUNT_NUMBER", r"(?<![\d-])\d{2}([- ]?)\d{2}\1\d{2}(?:[ ]?/[ ]?|[ ]{1,2})(?:\d{8}|\d{4}[ ]\d{4})(?![\d-])", 0.9, 0,
         None, Starts(_digits(2, 6))),
        # a sort code after its label ("S/C: 21-83-08", "SC 458706, a/c 36547594", "sort code 20 83 09")
        ("ACCOUNT_NUMBER", r"(?i)\b(?:sort[ \t]*code|s/c|sc)(?![\w/])[ \t]*[:.#]?[ \t]*(?:is[ \t]+)?"
         r"(?P<v>\d{2}([- ]?)\d{2}\2\d{2})(?![\d-])", 0.85, "v", None, Starts(prefix_test("sort", "s", exact=("sc",)))),
        # a labelled phone number typed or OCR'd with odd spacing, or broken over a line's end ("TELEPHONE  (47 6)7 4
        # 4-7377", "Fax: 9925\n7257", "Home phone 1- 76 6 - 711-18 04", "Tel: (+39) 347 8098328 ext 5063", "Pt
        # phone: +1 274 442  821O", "(604)   95 7 -0760"): seven to fifteen digits, an OCR'd letter or two among them
        (
            "PHONE_NUMBER",
            r"(?i)\b(?:phone|tel(?:ephone)?|fax|mobile|mob|cell(?:ular)?|direct[ \t]+line|alt|primary|whatsapp|caller[ \t]+id"
            r"[ \t]+showed|directly[ \t]+on|back[ \t]+on|voicemail[ \t]+on|bereiken[ \t]+op|komórki[ \t]+to|joindre[ \t]+au|"
            r"cellulare[ \t]+è|nummer[ \t]+is|number[ \t]+confirmed[ \t]+as|privat|dienstlich)(?![\w-])[ \t]*(?:no\.?|number|\#)?"
            r"[ \t]*[:.]?[ \t]*(?P<v>(?:\(?\+[ ]?\d{1,3}\)?[ .-]{0,3})?[\d(][\d()OolIBS]*"
            r"(?:(?:[ ]{0,3}[.\-/][ ]{0,3}|[ ]{1,3}|[ ]?[-.]?\r?\n(?=[ ]?[\d(][\d()OolIBS .-]*(?:[.,;]|[ \t]*(?:\r?\n|$))))"
            r"[\d(][\d()OolIBS]*){0,8})"
            r"(?:[ ,;]*\(?(?:ext\.?|extn\.?|x|poste|;ext=)[ ]?\d{1,5}\)?)?(?![\w-])",
            0.6,
            "v",
            _messy_phone_ok,
            Starts(prefix_test("phone", "tel", "fax", "mobile", "mob", "cell", "direct", "alt", "primary", "whatsapp",
                               "caller", "back", "voicemail", "bereiken", "kom", "joindre", "nummer", "number", "privat",
                               "dienstlich")),
        ),
        # a phone number URL-encoded in a query ("GET /api/lookup?phone=%2B4915713891346")
        ("PHONE_NUMBER", r"(?i)%2B\d{8,15}(?!\d)", 0.7, 0, None, _encoded_plus_gate),
        # HL7 PID-13 and PID-14, the patient's home and business phones, bare digits too ("||4674120181|||")
        ("PHONE_NUMBER", r"(?m)^PID(?:\|[^|\n]*){12,13}\|(?P<v>(?=(?:[^|^~\n]*\d){7})[+(\d][\d ()./-]{6,20}\d)(?=[|^~\r\n])",
         0.7, "v", None, _pid_gate),
        # a vCard's TEL line ("TEL;TYPE=WORK,VOICE:811-279-816;ext=268", "TEL;VALUE=uri;TYPE=home:tel:+48220723921")
        ("PHONE_NUMBER", r"(?m)^TEL[;:](?:[^:\n]*:)?(?:tel:)?(?P<v>[+\d(][\d ()./-]{5,20}\d(?:;ext=\d{1,5})?)", 0.7, "v", None,
         _vcard_gate),
        # a labelled phone number that a column's width broke over two lines ("Phone: +44\n131 676 9763",
        # "Phone: +1 (608)\n555-0130", "Phone: +44 (0)115 404\n7421")
        (
            "PHONE_NUMBER",
            r"(?i)\b(?:phone|tel(?:ephone)?|fax|mobile|mob|cell)\b[ \t]*(?:no\.?|number)?[ \t]*[:.]?[ \t]*"
            r"(?P<v>\+\d{1,3}(?:[ ]?\(0\))?(?:[ ]?\(?\d{1,5}\)?)*[ ]?\r?\n[ ]?\(?\d[\d ()-]{2,14}\d)(?![\w-])",
            0.75,
            "v",
            _phone_digits_ok,
            Starts(prefix_test("phone", "tel", "fax", "mobile", "mob", "cell"), pre=_has_line_break),
        ),
        # a record's id in a web path ("GET /portal/patients/KH3-430-7135/summary", "/api/v2/customers/C-99812"):
        # the collection names whose record it is
        (
            "MEDICAL_RECORD_NUMBER",
            r"(?<=/)(?i:patients?|pts?)/(?P<v>(?![vV]\d+(?:\.\d+)*[/?#\s]|[vV]\d+$)(?=[^/\s?#\"']*\d)[A-Za-z0-9][A-Za-z0-9._-]{2,40})(?=[/?#\s\"'\]]|$)",
            0.75,
            "v",
            None,
            _path_gate,
        ),
        (
            "ACCOUNT_NUMBER",
            r"(?<=/)(?i:members?|customers?|clients?|accounts?|policies|policy|claims?|employees?|cases?)/"
            r"(?P<v>(?![vV]\d+(?:\.\d+)*[/?#\s]|[vV]\d+$)(?=[^/\s?#\"']*\d)[A-Za-z0-9][A-Za-z0-9._-]{2,40})(?=[/?#\s\"'\]]|$)",
            0.7,
            "v",
            None,
            _path_gate,
        ),
        # a log's or export's key=value ("patient_mrn=ZNT055886"): the label is the end of a snake_case key
        (
            "MEDICAL_RECORD_NUMBER",
            rf"\b[a-z]+_(?:mrn|mr_no|chart_no|record_no|hospital_no)\s*[=:]\s*[\"']?(?P<v>{_ID})",
            0.85,
            "v",
            None,
            _has_underscore,
        ),
        # HL7 v2 identifiers by their type code: "~108189683^^^SSA^SS" a social security number, "^^^HOSP^MR" a record
        ("US_SSN", r"(?<=[|~])(?P<v>\d{3}-?\d{2}-?\d{4})\^\^\^[^\^|~\n]*\^SS\b", 0.9, "v", None, _hl7_gate),
        # (a national health number too: NH, JHN, HC; Medicare, Medicaid: MC, MA); digits may be grouped by blanks
        ("MEDICAL_RECORD_NUMBER", r"(?<=[|~])(?P<v>[A-Z0-9][A-Z0-9 -]{3,20}[A-Z0-9])\^\^\^[^\^|~\n]*\^(?:MR|PI|MRN|PT|NH|JHN|HC|MC|MA)\b",
         0.9, "v", None, _hl7_gate),
        # HL7 v2 XCN: a clinician's id before the family and given names ("|1139330165^JOSHI^NILESH^^^DR|")
        ("LICENSE_NUMBER", r"(?<=[|~])(?P<v>[A-Z]{0,3}\d{4,12})\^[A-Z][A-Za-z'’ -]{1,30}\^[A-Z][A-Za-z'’ -]{0,30}(?=[\^|~]|$)",
         0.7, "v", None, _hl7_caret_gate),
        # HL7 v2 PID-18 (the patient's account number) and PID-19 (the social security number)
        # (or one field later: feeds that count the fields from the segment's name)
        ("ACCOUNT_NUMBER", r"(?m)^PID(?:\|[^|\n]*){17}\|(?P<v>[A-Z0-9][A-Z0-9-]{3,24})(?=[|^\r\n]|$)", 0.85, "v", None, _pid_gate),
        ("ACCOUNT_NUMBER", r"(?m)^PID(?:\|[^|\n]*){18}\|(?!\d{3}-?\d{2}-?\d{4}(?:[|\r\n]|$))(?P<v>[A-Z0-9][A-Z0-9-]{3,24})(?=[|^\r\n]|$)",
         0.85, "v", None, _pid_gate),
        ("US_SSN", r"(?m)^PID(?:\|[^|\n]*){18,19}\|(?P<v>\d{3}-?\d{2}-?\d{4})(?=[|\r\n]|$)", 0.9, "v", None, _pid_gate),
        # X12 EDI (834 enrolment): "REF*0F*363315632~" and a member's NM1 with id qualifier 34 are social security
        # numbers
        ("US_SSN", r"\bREF\*0F\*(?P<v>\d{9})(?=~|\*|$)", 0.85, "v", None, _x12_gate),
        ("US_SSN", r"\bNM1\*[^~\n]*?\*34\*(?P<v>\d{9})(?=~|\*|$)", 0.85, "v", None, _x12_gate),
        # ... and the insured's or the patient's member id (qualifier MI): "NM1*IL*1*OKAFOR*ADAEZE****MI*19835052715U~"
        ("HEALTH_PLAN_ID", r"\bNM1\*(?:IL|QC)\*[^~\n]*?\*MI\*(?P<v>[A-Z0-9][A-Z0-9-]{2,29})(?=~|\*|$)", 0.85, "v", None, _x12_gate),
        # a cheque's MICR line: routing number between ⑆, then the account number before ⑈
        ("ACCOUNT_NUMBER", r"⑆\d{9}⑆\s*(?P<v>\d[\d -]{3,18}\d)\s*⑈", 0.9, "v", None, _micr_gate),
        # a FHIR contact point's value ("system: phone" / "value: \"612 92 12 57\"")
        (
            "PHONE_NUMBER",
            r"\bsystem[\"']?\s*[:=]\s*[\"']?(?:phone|fax|sms|pager|mobile)[\"']?\s*,?\s*(?:\n[ \t]*)?[\"']?value[\"']?"
            r"\s*[:=]\s*[\"']?(?P<v>\+?[\d(][\d ()./-]{5,24}\d)",
            0.85,
            "v",
            None,
            words_gate(["system"]),
        ),
        # a wristband's or a label's barcode text, a line of its own between asterisks ("*82374578*")
        ("MEDICAL_RECORD_NUMBER", r"(?m)^[ \t]*\*(?P<v>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{4,20})\*[ \t]*\r?$", 0.7, "v", None,
         _barcode_gate),
        # a FHIR identifier's value after its type ('{"type": {"text": "member"}, "value": "561G08780"}', '"type":
        # {"coding": [{"code": "MR"}]}, "value": "MR-8645256"')
        ("MEDICAL_RECORD_NUMBER", r'"type"\s*:\s*\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\}){0,200}\}\s*,\s*"value"\s*:\s*"'
         r'(?P<v>(?=[^"\n]{0,30}\d)[A-Z0-9][A-Z0-9*\-./ ]{2,40})"', 0.8, "v", None, words_gate(["value"])),
        # a FHIR identifier's value after its system ("system: urn:oid:2.16.840.1.6926", "value: 14076810")
        (
            "MEDICAL_RECORD_NUMBER",
            r"\bsystem[\"']?\s*[:=]\s*[\"']?(?!(?:phone|fax|sms|pager|mobile|email|url|other)\b)[^\s\"',]{3,120}[\"']?\s*,?\s*"
            r"(?:\n[ \t]*)?[\"']?value[\"']?\s*[:=]\s*[\"']?"
            r"(?P<v>(?=[A-Z0-9-]{0,30}\d)[A-Z0-9](?:[A-Z0-9\-./]|[ ](?=[A-Z0-9]*\d)){2,40})",
            0.85,
            "v",
            None,
            words_gate(["system"]),
        ),
        # an extraction task's answer: the value under its type ('{"type": "ACCOUNT_NUMBER", "text": "853-917911"}',
        # '{\\"type\\": \\"ZIP\\", \\"value\\": \\"F91 CTT7\\"}': JSON escaped twice reads with blanks in its quotes)
        *[
            (entity, rf'"\s*(?:type|label|entity(?:_type)?)\s*"\s*:\s*"\s*(?-i:{kinds})\s*"\s*,\s*'
             rf'"\s*(?:text|value|span)\s*"\s*:\s*"\s*(?P<v>[^"\n\\]{{1,120}}?)\s*"', 0.8, "v", None, _typed_value_gate)
            for entity, kinds in _TYPED_VALUE_KINDS.items()
        ],
        # a FHIR Patient resource's own id ('"resourceType": "Patient", "id": "688494"'), in JSON escaped
        # inside a string too (`{\"resourceType\":\"Patient\",\"id\":\"pat-83736\"`)
        (
            "MEDICAL_RECORD_NUMBER",
            rf"\bresourceType{_Q}\s*[:=]\s*{_Q}(?:Patient|Person|RelatedPerson){_Q}\s*,\s*(?:\n[ \t]*)?{_Q}id{_Q}"
            rf"\s*[:=]\s*{_Q}(?P<v>[A-Za-z0-9][A-Za-z0-9.-]{{2,63}})",
            0.85,
            "v",
            None,
            words_gate(["resourcetype"]),
        ),
        # a FHIR reference to a patient ("reference": "Patient/8289425783"): the patient's id
        (
            "MEDICAL_RECORD_NUMBER",
            rf"\breference{_Q}\s*[:=]\s*{_Q}(?:Patient|Person|RelatedPerson)/(?P<v>[A-Za-z0-9](?:[A-Za-z0-9.-]|[ ](?=\d)){{2,63}})",
            0.85,
            "v",
            None,
            words_gate(["reference"]),
        ),
        # a handover's "Haddad, Dalia, 45-year-old, 7221168." / "bed 9: VU, LINH, 24 y/o, P-0861334.": the record
        # number after the age
        (
            "MEDICAL_RECORD_NUMBER",
            r"\b\d{1,3}(?:[- ]?(?:year|yr)s?[- ]old|[ ]?y/o|[ ]?yo|[ ]years?[ ]old),[ \t]+"
            r"(?P<v>(?-i:(?=[A-Z0-9-]{6,24}\b)(?=(?:[A-Z-]*\d){5})[A-Z0-9]+(?:-[A-Z0-9]+)*))\b",
            0.7,
            "v",
            None,
            Starts(_age_word, pre=_age_word_gate),
        ),
        # a loyalty programme's number after the programme's name ("Loyalty: Marriott Bonvoy 775 453 223 3")
        (
            "ACCOUNT_NUMBER",
            r"\b(?:loyalty|rewards|frequent\s+fl[yi]er|membership)(?:\s+(?:no\.?|number|#))?\s*:?\s*"
            r"(?:(?-i:\p{Lu}[\w&'’-]+)\s+){1,3}(?P<v>(?-i:[A-Z]{0,3})\d[\d ]{5,18}\d)\b",
            0.75,
            "v",
            None,
            Starts(prefix_test("loyalty", "rewards", "frequent", "membership")),
        ),
        # a member's number after the insurer's name ("Insurance billed: Priority Health 55164326800", "my insurance
        # changed to unitedhealthcare 49906124000"): one to three words of the name, then six digits at least
        (
            "HEALTH_PLAN_ID",
            r"\b(?:insurance|insurer|coverage|health\s+plan)(?:\s+(?:billed|is|was|changed\s+to|now))?\s*:?\s*"
            r"(?:[A-Za-z][\w&'’-]+\s+){1,3}(?P<v>(?-i:[A-Z]{0,3})\d{6,14}(?-i:[A-Z])?)\b(?![.,/-]\d)",
            0.7,
            "v",
            None,
            Starts(prefix_test("insur", "coverage", "health")),
        ),
        # a reference number ("(ref W0303-05094)", "Ref: 7996-651-45", "ref BRK/64633/370"): five digits at least,
        # not a lab's reference range ("ref 3.5-5.0") or a date
        (
            "ACCOUNT_NUMBER",
            r"\b(?:ref|reference)\.?[ \t]*(?:no\.?|#)?[ \t]*:?[ \t]*(?!\d{1,4}-\d{1,4}(?![\w-]))"
            r"(?P<v>(?-i:(?=(?:[A-Z /-]*\d){5})[A-Z0-9]+(?:[-/][A-Z0-9]+|[ ]\d{2,5}(?=[\s).,;]|$))*))\b"
            r"(?![.,/]\d)",
            0.7,
            "v",
            None,
            Starts(prefix_test("ref")),
        ),
        # an account by what is done with it: "paid into 5437619646", "Direct debit set up from 7591-6874-05", "direct
        # deposit updated to 988955419", "overdraft 8908-040541", "card number on file is C176210982"
        (
            "ACCOUNT_NUMBER",
            r"\b(?:paid\s+into|set\s+up\s+from|(?:deposit|debit)\s+(?:updated\s+|changed\s+)?(?:to|from)|"
            r"transferred\s+(?:to|from)|credited\s+to|debited\s+from|overdraft|(?:number|no\.?)\s+on\s+file\s+is)"
            r"\s+(?:account\s+|a/c\s+)?(?P<v>(?-i:[A-Z]{0,4}-?)\d[\d -]{4,18}\d)\b(?![.,]\d)",
            0.7,
            "v",
            None,
            Starts(
                prefix_test("paid", "set", "deposit", "debit", "transferred", "credited", "debited", "overdraft",
                            "number", "no"),
                pre=lambda text: has_literal(text, _MONEY_MOVES),
            ),
        ),
        # a bleep or pager number, an internal extension ("bleep 5185", "pager #4471", "ext. 2802"); in a bleep log
        # the number a page went to or came from ("TO #1463  FROM x5667")
        (
            "PHONE_NUMBER",
            r"\b(?:bleep|pager|pg|ext|extension)\.?[ \t]*(?:no\.?|number|#)?[ \t]*:?[ \t]*(?P<v>\d{3,6})\b(?![ .-]?\d)",
            0.6,
            "v",
            None,
            Starts(prefix_test("bleep", "pager", "pg", "ext")),
        ),
        ("PHONE_NUMBER", r"(?-i:\b(?:TO|FROM|To|From)[ \t]+(?:#|x)?(?!(?:19|20)\d\d\b)(?P<v>\d{3,5})\b)(?![ .:/-]?\d)", 0.6, "v", None,
         _bleep_log_gate),
        # a reference of a case file's shape without any label: one to four capitals, then six to twelve digits
        # ("Card dispute note - CB37032760", "complaint CMP-6592495", "employee E789030"); not a trial's registry
        # number ("NCT04368728", "ISRCTN12345678"), a Dutch postcode's or a year's digits ("AD 2024")
        (
            "ACCOUNT_NUMBER",
            r"(?<![\w/.-])(?-i:(?!NCT|ISRCTN|ACTRN|CTRI|EUCTR|ISBN|ISSN|DOI|PMID|PMC|ORCID|SKU|UPC|EAN|GTIN|LOT|PN)[A-Z]{1,4})-?"
            r"(?P<v>\d{6,12})(?![\w/-]|[.,]\d)",
            0.55,
            0,
            None,
            _id_shape_gate,
        ),
        # bare long digit runs are often account/record numbers: low, needs context
        ("MEDICAL_RECORD_NUMBER", r"\b\d{7,12}\b", 0.2, 0, None, Starts(_digits(7, 12))),
    ]
    FLAGS = re.IGNORECASE

    def __init__(self, entities: Iterable[str], language: str = "en"):
        super().__init__(entities, language, context=["mrn", "record", "account", "acct", "member", "chart"])

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001, ANN201
        out = super().analyze(text, entities, nlp_artifacts)
        for r in list(out):  # "close account 879-98773-5 and 387-87465-9": the second number is one too
            if r.entity_type in _LISTED_IDS:
                m = _AND_ID.match(text, r.end)
                if m:
                    out.append(_result(self, r.entity_type, *m.span("v"), r.score))
        return out


# ---------------------------------------------------------------------------------------------------------
# Tables pasted into text: a header line names the columns, so its cells below need no label of their own

# what `structured.column` does not say of a column's name, and a table in text means: a person's role alone
# ("patient", "insured") and dates of any event ("dos", "admit date"; HIPAA keeps only their year)
_COLUMN_ENTITY_RX = [
    ("PERSON", r"patient|customer|client|insured|employee|subscriber|account\s+holder|guarantor|claimant|"
     r"beneficiary|emergency\s+contact|next\s+of\s+kin|given|resident|tenant|pupil|student|passenger|occupant|"
     r"service\s+user"),
    ("DATE_TIME", r"dob|dos|dod|d\s*o\s*b|date\s+of\s+(?:birth|service|death|admission|discharge)|"
     r"(?:admit|admission|discharge|visit|service|death|birth|appointment|appt|encounter|loss|incident|start|end)?"
     r"\s*date"),
]
_TABLE_SEPS = ("|", "\t", ",", ";")
_NAME_COLUMNS = frozenset(
    [
        "name", "names", "full name", "contact", "contact name", "person", "staff", "attendee",
        # who did it: a log's or a list's initials or name column ("| by |", "| Author |")
        "by", "author", "initials", "checked by", "given by", "seen by", "signed by", "entered by", "dispensed by",
        "approved by", "pharmacist", "clinician", "reviewer",
        # who handles it, and who is paid or pays ("| Manager |", "payee", "counterparty")
        "manager", "line manager", "approver", "handler", "adjuster", "fee earner", "owner", "assigned to",
        "assignee", "agent", "officer", "caseworker", "case worker", "payee", "payer", "counterparty", "remitter",
        "beneficiary name", "payee name", "account name", "holder", "account holder", "cardholder",
    ]
)  # fmt: skip
_REF_COLUMNS = frozenset(["ref", "ref.", "reference", "id", "ref no", "ref #", "our ref", "case ref", "ref number"])
_REF = "REFERENCE"  # a column of references: ACCOUNT_NUMBER where the cell has an identifier's shape
_GENERIC_ID_CELL = re.compile(r"[ ]*(?=(?:[A-Za-z/-]*\d){4})[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)*[ ]*")
_HEADER_CELL_RX = re.compile(r"[A-Za-z0-9#][A-Za-z0-9 _#./():-]{0,30}")  # "#" and "08:00" columns too
_HEADER_CELL_COMMA_RX = re.compile(r"[A-Za-z0-9#][A-Za-z0-9 _#./():,-]{0,30}")


def column_entity(name: str) -> str | None:
    """The identifier a table's column holds by its name ("last_name" PERSON, "dob" DATE_TIME, "mrn"), or None:
    structured data's column names (`structured.column`), then roles, dates and the labels of `LABELS`."""
    from appliance.scrub.structured import column, humanize  # structured imports the engine

    entity = column(name)[1]
    if entity is not None:
        return entity
    norm = humanize(name)
    if not norm:
        return None
    for entity, rx in _COLUMN_ENTITY_RX:
        if re.fullmatch(rx, norm):
            return entity
    for entity, labels in LABELS.items():
        if re.fullmatch(rf"(?:{labels})(?:\s+(?:number|no|num|id|code|ref))?", norm):
            return entity
    return None


def _split_cells(line: str, sep: str) -> list[tuple[int, int]]:
    """(start, end) of each cell of `line`, stripped of blanks; a quoted CSV cell is not split inside."""
    cells, start, quoted = [], 0, False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            cells.append((start, i))
            start = i + 1
    cells.append((start, len(line)))
    out = []
    for a, b in cells:
        while a < b and line[a] in ' \t"\ufeff':
            a += 1
        while b > a and line[b - 1] in ' \t"':
            b -= 1
        out.append((a, b))
    return out


def _inner_cells(line: str, sep: str) -> list[tuple[int, int]]:
    """The cells between a row's border separators ("| a | b |" in Markdown, "a,b," with a trailing comma)."""
    cells = _split_cells(line, sep)
    body = line.strip(" \t\ufeff")
    if len(cells) > 1 and body.endswith(sep) and cells[-1][0] == cells[-1][1]:
        cells.pop()
    if len(cells) > 1 and body.startswith(sep) and cells[0][0] == cells[0][1]:
        cells.pop(0)
    return cells


_ID_SHAPE = re.compile(r"[^\s,;|]*\d[^\s,;|]*")
_COLUMN_SHAPES = {  # what a cell of such a column looks like: used to place separators that a cell holds
    "PERSON": re.compile(r"[^\d@]*"),
    "DATE_TIME": re.compile(
        r"(?i)(?=.*\d)[\d\s/.,-]*(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?[\d\s/.,-]*)?"
    ),
    "STREET_ADDRESS": re.compile(r"(?=.*\d).*[A-Za-z].*"),
    "MEDICAL_RECORD_NUMBER": _ID_SHAPE,
    "ACCOUNT_NUMBER": _ID_SHAPE,
    "HEALTH_PLAN_ID": _ID_SHAPE,
    "PHONE_NUMBER": re.compile(r"[^A-Za-z]*\d[^A-Za-z]*(?:(?:ext|x)\.?\s*\d+)?"),
    "EMAIL_ADDRESS": re.compile(r"\S+@\S+"),
    "US_SSN": re.compile(r"[\d -]+"),
    "ZIP_CODE": re.compile(r"[A-Za-z\d -]{3,10}"),
}
_MAX_EXTRA_CELLS = 2


def _row_cells(line: str, sep: str, kinds: list[str | None]) -> list[tuple[int, int]] | None:
    """A row's cells for the header's columns. A row with one or two more cells than the header has a separator
    inside a cell ("12 Elm Row, Apt 4" in a CSV pasted without quotes): the cells are joined where each column's
    cell then fits its column best; where several placements fit equally well, a column gets the union of
    them (its identifier is covered wherever it is)."""
    n = len(kinds)
    for s in (sep, *_TABLE_SEPS):
        for cells in (_split_cells(line, s), _inner_cells(line, s)):
            if len(cells) == n:
                return cells
    cells = _inner_cells(line, sep)
    extra = len(cells) - n
    if not 0 < extra <= _MAX_EXTRA_CELLS:
        return None
    best, placements = -1, []
    for joins in itertools.combinations(range(len(cells) - 1), extra):  # join cell j with cell j+1
        spans, j = [], 0
        while j < len(cells):
            k = j
            while k in joins:
                k += 1
            spans.append((cells[j][0], cells[k][1]))
            j = k + 1
        fit = sum(
            1 for (a, b), kind in zip(spans, kinds, strict=True)
            if kind in _COLUMN_SHAPES and _COLUMN_SHAPES[kind].fullmatch(line[a:b])
        )  # fmt: skip
        if fit > best:
            best, placements = fit, [spans]
        elif fit == best:
            placements.append(spans)
    return [(min(p[c][0] for p in placements), max(p[c][1] for p in placements)) for c in range(n)]


class TableRecognizer(EntityRecognizer):
    """Cells of a table pasted into a text ("mrn,last_name,first_name,dob" then one row per line): each cell of
    a column whose header names an identifier is that identifier, as presidio-structured maps a column to an
    entity. A header has 3+ cells, each a short label, at least two (and a third) of them naming identifiers, and
    no sentence's end; rows follow it
    with the same number of cells (any of | tab , ; as separator) up to a blank or different line."""

    def __init__(self, entities: Iterable[str], language: str = "en"):
        self.entities = set(entities)
        wanted = {e for e, _ in _COLUMN_ENTITY_RX} | set(LABELS)
        super().__init__(
            supported_entities=sorted(self.entities & wanted) or ["NONE"],
            name="TableRecognizer",
            supported_language=language,
        )

    def load(self) -> None:
        pass

    def _header(self, line: str) -> tuple[str, list[str | None]] | None:
        if line.rstrip().endswith((".", "!", "?", ":")):  # a sentence ("Please confirm name, date of birth, phone.")
            return None
        if "(" in line and _SQL_HEAD_RX.search(line):  # SQL's column list: `_sql_inserts` reads its values
            return None
        for sep in _TABLE_SEPS:
            if line.count(sep) < 2:
                continue
            cells = [line[a:b] for a, b in _inner_cells(line, sep)]
            cell_rx = _HEADER_CELL_RX if sep == "," else _HEADER_CELL_COMMA_RX  # "Surname, Forename" between tabs
            if len(cells) < 3 or not all(cell_rx.fullmatch(c) and len(c.split()) <= 4 for c in cells):
                continue
            kinds = [column_entity(c) for c in cells]
            if sum(k is not None for k in kinds) >= max(2, len(kinds) / 3):
                # a bare "Name" column beside the identifier columns: a person's ("| Name | Role | Email |")
                names = [c.strip().lower() in _NAME_COLUMNS for c in cells]
                # and a bare "Ref" or "ID" column beside them: the record's reference (`_GENERIC_ID_CELL` only)
                refs = [c.strip().lower() in _REF_COLUMNS for c in cells]
                return sep, [
                    k or ("PERSON" if name else _REF if ref else None)
                    for k, name, ref in zip(kinds, names, refs, strict=True)
                ]
        return None

    def _emit(self, out: list[RecognizerResult], entities: Any, kind: str | None, start: int, end: int, text: str) -> None:
        if kind in self.entities and kind in entities and end > start and any(c.isalnum() for c in text[start:end]):
            out.append(_result(self, kind, start, end, 0.6))

    def _sql_inserts(self, text: str, entities: Any, out: list[RecognizerResult]) -> None:
        """The values of SQL INSERT statements, by their column names ("INSERT INTO t (surname, dob) VALUES
        ('Okafor', '1970-08-21'), (...)"): a column named `id` is the table's own key, not a person's."""
        for m in _SQL_INSERT_RX.finditer(text):
            cols = [c.strip(" \t\n\"`[]") for c in m.group("cols").split(",")]
            kinds = [None if c.lower() == "id" else column_entity(c) for c in cols]
            if not any(kinds):
                continue
            pos = m.end()
            while (t := _SQL_TUPLE_RX.match(text, pos)) is not None:
                values = list(_SQL_VALUE_RX.finditer(text, t.start("t"), t.end("t")))
                if len(values) == len(kinds):
                    for v, kind in zip(values, kinds, strict=True):
                        if v.group("q") is not None:
                            self._emit(out, entities, kind, *v.span("q"), text)
                        elif v.group("n").upper() != "NULL":
                            self._emit(out, entities, kind, *v.span("n"), text)
                pos = t.end()

    def _fixed_width(self, text: str, lines: list[tuple[int, str]], entities: Any, out: list[RecognizerResult]) -> None:
        """A fixed-width report: a header of column names set apart by two blanks or more, a rule of dashes
        under it, then one record per line, each field under its column's name."""
        for h in range(len(lines) - 2):
            ruled = _RULE_LINE_RX.match(lines[h + 1][1]) is not None
            if not ruled and "   " not in lines[h][1]:
                continue
            cells = list(_WIDE_CELL_RX.finditer(lines[h][1]))
            if len(cells) < 3 or not all(_HEADER_CELL_RX.fullmatch(c.group()) for c in cells):
                continue
            kinds = [column_entity(c.group()) or ("PERSON" if c.group().lower() in _NAME_COLUMNS else None) for c in cells]
            if sum(k is not None for k in kinds) < 2:
                continue
            starts = [c.start() for c in cells]
            if not ruled and (":" in lines[h][1] or any(ch.isdigit() for ch in lines[h][1])):
                continue  # without a rule under it, a line of names only ("DOB:  27-Mar-1939  MRN: ..." is a form's)
            if not ruled and not _aligned(lines[h + 1][1], starts):
                continue  # ... and the first record's fields start under the names
            for off, line in lines[h + (2 if ruled else 1) :]:
                if not line.strip() or _RULE_LINE_RX.match(line):
                    break
                for j, kind in enumerate(kinds):
                    a = starts[j]
                    b = starts[j + 1] if j + 1 < len(starts) else len(line)
                    if a >= len(line) or (a > 0 and line[a - 1] not in " \t"):
                        continue  # a field that does not start under its column
                    seg = line[a:b]
                    core = seg.strip()
                    if core:
                        lead = a + len(seg) - len(seg.lstrip())
                        self._emit(out, entities, kind, off + lead, off + lead + len(core), text)

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001, ANN201
        if "\n" not in text:
            return []
        out: list[RecognizerResult] = []
        if ("nsert" in text or "NSERT" in text) and _SQL_HEAD_RX.search(text):  # no lower-case copy of each text
            self._sql_inserts(text, entities, out)
        if not ("," in text or "|" in text or "\t" in text or ";" in text or "---" in text or "===" in text or "   " in text):
            return out
        lines, pos = [], 0
        for line in text.split("\n"):
            lines.append((pos, line.rstrip("\r")))
            pos += len(line) + 1
        i = 0
        while i < len(lines):
            head = self._header(lines[i][1])
            i += 1
            if head is None:
                continue
            sep, kinds = head
            while i < len(lines) and lines[i][1].strip():
                off, line = lines[i]
                row = _row_cells(line, sep, kinds)
                if row is None:
                    break
                for (a, b), kind in zip(row, kinds, strict=True):
                    if kind == _REF:
                        m = _GENERIC_ID_CELL.fullmatch(line, a, b)
                        kind = "ACCOUNT_NUMBER" if m else None
                    if kind in self.entities and kind in entities and b > a and any(c.isalnum() for c in line[a:b]):
                        out.append(_result(self, kind, off + a, off + b, 0.6))
                i += 1
        if "---" in text or "===" in text or "   " in text:
            self._fixed_width(text, lines, entities, out)
        return out


_SQL_HEAD_RX = re.compile(r"(?i)\binsert\s+into\b")
_SQL_INSERT_RX = re.compile(r"(?i)\binsert\s+into\s+[\w.\"`\[\]]+\s*\((?P<cols>[^()]{1,2000})\)\s*values\s*")
_SQL_TUPLE_RX = re.compile(r"\s*,?\s*\((?P<t>(?:'(?:[^'\n]|'')*'|[^()'\n])*)\)")
_SQL_VALUE_RX = re.compile(r"[ \t]*(?:'(?P<q>(?:[^'\n]|'')*)'|(?P<n>[^,'\s][^,]*?))[ \t]*(?:,|$)")
def _aligned(line: str, starts: list[int]) -> bool:
    """Every field of `line` (set apart by two blanks or more) starts where a column's name does."""
    fields = [c.start() for c in _WIDE_CELL_RX.finditer(line)]
    return len(fields) == len(starts) and fields == starts


_RULE_LINE_RX = re.compile(r"[ \t]*[-=]{10,}[ \t]*$")
_WIDE_CELL_RX = re.compile(r"\S+(?:[ ]\S+)*")  # cells set apart by two blanks or more


_KV_KEY = r"[A-Za-z_][\w .\-]{0,40}?"
# JSON or a Python dict pasted into text: "key": "value", 'key': 'value', "key": 12345
_JSON_PAIR = re.compile(
    rf"(?P<q>[\"'])(?P<k>{_KV_KEY})(?P=q)\s*:\s*"
    rf"(?:(?P<q2>[\"'])(?P<v>(?:(?!(?P=q2))[^\\\n]|\\.){{1,200}})(?P=q2)|(?P<n>-?\d[\d.\-]{{0,30}})(?![\w.]))"
)
_XML_PARENT_ID = re.compile(
    r"(?i)<(?P<p>member|patient|subscriber|insured|beneficiary|customer|client|policyholder)\b[^<>]{0,200}>\s*"
    r"<id>(?P<v>[^<>\n]{3,40})</id>"
)
_XML_ID_ATTRIBUTE = re.compile(
    r"(?i)<(?P<p>member|patient|subscriber|insured|beneficiary|customer|client|policyholder|employee|account)\b"
    r"[^<>]{0,200}?\b(?:id|number)=(?P<q>[\"'])(?P<v>[^\"'<>\n]{3,40})(?P=q)"
)
_JSON_LIST = re.compile(rf"(?P<q>[\"'])(?P<k>{_KV_KEY})(?P=q)\s*:\s*\[(?P<items>[^\[\]\n{{}}]{{1,300}})\]")
_JSON_ITEM = re.compile(r"[\"'](?P<v>[^\"'\n\\]{1,80})[\"']")
# XML: <key>value</key>, <key attr="x">value</key>
_XML_PAIR = re.compile(r"<(?P<k>[A-Za-z_][\w.\-]{0,40})(?:\s[^<>\n]{0,200})?>(?P<v>[^<>\n]{1,200})</(?P=k)>")
# YAML or "key: value" lines whose key names an identifier's kind ("  family: Okafor", 'postalCode: "980-0811"')
_YAML_PAIR = re.compile(r"(?m)^[ \t]*(?:-[ \t]+)?(?P<k>[A-Za-z_][\w.\-]{0,40}):[ \t]+(?P<q>[\"']?)(?P<v>[^\n#\"']{1,200}?)(?P=q)[ \t]*$")
# logfmt and URL queries: key=value, key="value", key='value' (the key read backwards from its "=")
_LOGFMT_KEY = re.compile(r"(?r)(?<![\w.\-])[A-Za-z_][\w.\-]{0,40}")
_ARROW_VALUE = re.compile(r"[ \t]*(?:\"(?P<v>[^\"\n]{1,200})\"|'(?P<v2>[^'\n]{1,200})'|(?P<v3>[^\s\"',;][^\n\"',;]{0,199}?))[ \t]*(?=[,;})\]]|$|\n)", re.M)
_LOGFMT_VALUE = re.compile(r"\"(?P<v>[^\"\n]{1,200})\"|'(?P<v2>[^'\n]{1,200})'|(?P<v3>[^\s\"',;&<>]{1,200})")
_KV_NUMBERS = frozenset(LABELS) | {"PHONE_NUMBER", "ZIP_CODE", "CREDIT_CARD", "IBAN_CODE"}
_KV_ID_SHAPE = re.compile(r"(?=[^\d\s]*(?:[ ][^\d\s]*)?\d)[A-Za-z0-9](?:[A-Za-z0-9\-./#]|[ ](?=\d)){2,29}")  # "295 132 342 8", "FMT 186 242 776" too
_KV_VAGUE_KEYS = frozenset(["id", "record", "chart", "encounter", "admission", "device", "policy", "claim", "member",
                            "reg", "registration", "plate", "pump", "implant", "serial", "date"])  # fmt: skip
_CAPITALISED_NAME = re.compile(r"[A-Z][^\W\d_]*(?:['’\-.][^\W\d_]+)*\.?(?:\s+[A-Z][^\W\d_]*(?:['’\-.][^\W\d_]+)*\.?){0,3}")


class KeyValueRecognizer(EntityRecognizer):
    """Values of JSON, a Python dict, XML or logfmt pasted into text, by their key: `"first_name": "Oriel"`,
    `<mrn>7731902</mrn>`, `member_id=HJW6735822`. The value alone has no label the other rules read; its key
    names what it is, as a table's header does (`column_entity`). Only the value inside its quotes is taken,
    so the JSON stays valid. A key that names its kind (`structured.column`: first_name, ssn, zip) takes any
    value of that kind's shape; a role (`patient`) or a bare `name` takes a capitalised name of two to four words
    that is not a drug; an id label (`member_id`, `policy_number`) takes one token with a digit; vague keys
    (`id`, `device`, `date`) none."""

    def __init__(self, entities: Iterable[str], language: str = "en"):
        self.entities = set(entities)
        wanted = {e for e, _ in _COLUMN_ENTITY_RX} | set(LABELS) | {
            "US_SSN", "PHONE_NUMBER", "ZIP_CODE", "EMAIL_ADDRESS", "STREET_ADDRESS", "CREDIT_CARD", "IBAN_CODE"}  # fmt: skip
        super().__init__(
            supported_entities=sorted(self.entities & wanted) or ["NONE"],
            name="KeyValueRecognizer",
            supported_language=language,
        )

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001, ANN201
        pairs: list[tuple[str, int, int]] = []  # (key, value start, value end)
        if '":' in text or "':" in text or '" :' in text or "' :" in text:
            for m in _JSON_PAIR.finditer(text):
                pairs.append((m.group("k"), *m.span("v" if m.group("v") is not None else "n")))
            if "[" in text:  # a list of names under a name's key (FHIR's `"given": ["Emma", "Joy"]`)
                for m in _JSON_LIST.finditer(text):
                    if _key_entity(m.group("k")) == ("PERSON", True):
                        pairs.extend((m.group("k"), *i.span("v")) for i in _JSON_ITEM.finditer(text, *m.span("items")))
        if "</" in text:
            pairs.extend((m.group("k"), *m.span("v")) for m in _XML_PAIR.finditer(text))
            if "<id>" in text:  # `<member><id>W456644506</id>`: the id of the element it opens
                pairs.extend((m.group("p") + " id", *m.span("v")) for m in _XML_PARENT_ID.finditer(text))
        if "id=" in text or "ID=" in text:  # `<Customer id="293-186-499" segment="PREMIER">`: the element's id
            pairs.extend((m.group("p") + " id", *m.span("v")) for m in _XML_ID_ATTRIBUTE.finditer(text))
        if ":\n" in text or ": " in text:
            for m in _YAML_PAIR.finditer(text):  # only keys that name their kind (`_key_entity`: named)
                entity, named = _key_entity(m.group("k"))
                # a lower-case value is prose here ("family: supportive"), not a name; an identifier's line that
                # goes on in words ("MRN: 12345678 seen today") is the label rules' (the number alone)
                v = m.group("v")
                if named and not (entity == "PERSON" and v.islower()) and not (
                    entity in _KV_NUMBERS and not any(c.isdigit() for c in v.split()[-1])
                ):
                    pairs.append((m.group("k"), *m.span("v")))
        eq = text.find("=")
        while eq != -1:
            if text.startswith("=>", eq):  # a Ruby, PHP or Perl dump: `preferred_name => Sunday`, `"mrn" => "A12"`
                k_end = eq
                while k_end > 0 and text[k_end - 1] in " \t\"'":
                    k_end -= 1
                key = _LOGFMT_KEY.match(text, max(0, k_end - 41), k_end)
                value = _ARROW_VALUE.match(text, eq + 2) if key else None
            else:
                key = _LOGFMT_KEY.match(text, max(0, eq - 41), eq)
                value = _LOGFMT_VALUE.match(text, eq + 1) if key else None
            if value:
                pairs.append((key.group(), *value.span(value.lastgroup)))
            eq = text.find("=", eq + 1)
        out: list[RecognizerResult] = []
        for key, a, b in pairs:
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            entity = _key_value_entity(key, text[a:b])
            if entity is not None and entity in self.entities and entity in entities:
                out.append(_result(self, entity, a, b, 0.85))
        return out


@lru_cache(maxsize=4096)
def _key_entity(key: str) -> tuple[str | None, bool]:
    """(entity, named): the identifier a key's values are, and whether the key names that kind itself."""
    from appliance.scrub.structured import column, humanize

    entity = column(key)[1]
    if entity is not None:
        return entity, True
    words = humanize(key)
    if words in _KV_VAGUE_KEYS:
        return None, False
    if words in ("name", "full name", "names"):
        return "PERSON", False
    return column_entity(key), False


_ID_OF_PERSON_KEYS = frozenset(["identifier", "patient", "pt", "subject"])  # the key's last word ("paired_patient")


def _key_value_entity(key: str, value: str) -> str | None:
    from appliance.scrub.structured import fits, humanize, no_value

    entity, named = _key_entity(key)
    if not value or no_value(value):
        return None
    if not named and _KV_ID_SHAPE.fullmatch(value) and (humanize(key).split() or [""])[-1] in _ID_OF_PERSON_KEYS:
        # a patient's id under the patient's key ('"patient":"JAH7316"', "patient=0229530A", an XML <Identifier>)
        return "MEDICAL_RECORD_NUMBER"
    if entity is None:
        return None
    if named:
        return entity if fits(entity, value) else None
    if entity == "PERSON":  # two words at least: `client=Epic`, `"customer": "Acme"` are not people
        words = value.split()
        ok = len(words) > 1 and _CAPITALISED_NAME.fullmatch(value) and not any(_drop_word(w) for w in words)
        return entity if ok else None
    if entity == "DATE_TIME":
        return entity if fits(entity, value) else None
    return entity if _KV_ID_SHAPE.fullmatch(value) else None


_NUM = r"(?:num\w{0,3}|numbr|no\.?|#|id)"
# A question in a dialogue that asks for an identifier, by what it asks for ("can i get teh member id pls",
# "and the postcode", "whats a good callback number?"); the answer is on the next line.
_PROMPT_KINDS = [
    ("PHONE_NUMBER", rf"(?:call\s?back|contact|phone|mobile|cell|tele?phone|best)\s+{_NUM}|number\s+to\s+reach\s+you"),
    ("ZIP_CODE", r"post\s?code|zip(?:\s+code)?|postal\s+code|eircode|pin\s?code"),
    ("HEALTH_PLAN_ID", rf"member(?:ship)?\s+{_NUM}|policy\s+{_NUM}|insurance\s+{_NUM}|plan\s+{_NUM}|subscriber\s+{_NUM}"),
    ("MEDICAL_RECORD_NUMBER", rf"mrn|medical\s+record\s+{_NUM}|hospital\s+{_NUM}|nhs\s+{_NUM}|patient\s+{_NUM}|unit\s+{_NUM}|"
     rf"nhi(?:\s+{_NUM})?|medicare\s+(?:{_NUM}|card)|health\s+card(?:\s+{_NUM})?|ohip(?:\s+{_NUM})?"),
    # "Last 4 of your SSN?", "the last four digits of your social?"
    ("US_SSN", rf"(?:last\s+(?:4|four)(?:\s+digits)?\s+of\s+(?:your\s+|the\s+)?)?(?:ssn|social(?:\s+security)?(?:\s+{_NUM})?)"),
    ("ACCOUNT_NUMBER", rf"acc?ou?nt\s+{_NUM}|acct(?:\s+{_NUM})?|customer\s+{_NUM}|reference\s+{_NUM}|card\s+{_NUM}|sort\s?code"),
    ("STREET_ADDRESS", r"(?:first\s+line\s+of\s+(?:the\s+|your\s+|ur\s+|teh\s+)?)?(?:home\s+)?add?res?s"),
    ("PERSON", r"(?:your\s+(?:full\s+)?|full\s+|first\s+and\s+last\s+|patient'?s\s+|caller'?s\s+)name"),
]
_PROMPT_RX = re.compile(
    r"(?im)^[^\n]{0,200}?\b(?:" + "|".join(f"(?P<k{i}>{rx})" for i, (_, rx) in enumerate(_PROMPT_KINDS))
    # the question ends soon after what it asks for, without a value ("pls", "on file?", "we have for you")
    + r")\b[^\n\d:]{0,30}\n(?:[ \t]*\n)?"
    # the next line: an optional speaker, fillers, then the value
    # (a chat log's time stamp before the speaker: "[2025-11-25 13:35:52] Mateusz: 77-213 and 17.10.1959")
    r"[ \t]*(?:\[[^\]\n]{1,30}\][ \t]*)?(?:[\w .'’()-]{1,25}:[ \t]*)?(?:(?:yeah|yes|yep|sure|ok|okay|umm+|um|uh|so|ya|erm|hmm|right)[ ,]+)*"
    r"(?:(?:i\s+think|i\s+believe)\s+)?(?:(?:it'?s|it’s|its|it\s+is|it\s+should\s+be|should\s+be|that'?s|thats|my\s+\w+(?:\s+\w+)?\s+is)\s+)?"
    r"(?P<v>[^\n]{2,80})"
)
_SPOKEN_DIGIT = r"(?:zero|one|two|three|four|five|six|seven|eight|nine|double|triple|oh|o)\b"
# an id said or typed: tokens that hold a digit, or single letters ("H V 3 9 3 4 0"), or spoken digits
_ID_TOKEN = r"(?:[A-Z0-9./#-]*\d[A-Z0-9./#-]*|[A-Z])(?![\w])"
_PROMPT_VALUE = {
    "ID": re.compile(
        rf"(?i)(?:(?=[A-Z0-9./# -]*\d){_ID_TOKEN}(?:[ ](?:-[ ])?{_ID_TOKEN}){{0,15}}"
        rf"|{_SPOKEN_DIGIT}(?:[ ,-]+{_SPOKEN_DIGIT}){{3,15}})"
    ),
    "ZIP_CODE": re.compile(
        r"(?i)(?=[a-z0-9 -]*\d)[a-z0-9]{2,6}(?:[ -](?!(?:and|or|the|in|on|at|to|is|dob|for)\b)[a-z0-9]{2,4})?(?![\w-])"
        # read out: spoken digits and single letters, two digits at least ("two seven two three", "k four p nine t five")
        rf"|(?=(?:[a-z]+[ ])*?{_SPOKEN_DIGIT}[^\n]*?\b{_SPOKEN_DIGIT})(?:{_SPOKEN_DIGIT}|[a-z]\b)(?:[ ](?:{_SPOKEN_DIGIT}|[a-z]\b)){{2,9}}"
    ),
    "STREET_ADDRESS": re.compile(r"(?=[^\n]*\d)[^\n]{4,80}"),
    # one to four words before a comma, a digit or the line's end ("bekele, dob 24.8.01", "ji-woo 06/08/1965")
    "PERSON": re.compile(r"[^\W\d_][\w'’.-]*(?:[ ][^\W\d_][\w'’.-]*){0,3}(?=[ \t]*(?:,|\d|$|\n|\.(?:\s|$)))"),
}
def _is_record(line: str) -> bool:
    """A line that reads as a row of a CSV or a table (several separators)."""
    return line.count(",") >= 4 or line.count("|") >= 2 or line.count("\t") >= 2


_ANSWER_WORDS = frozenset("yes no yeah yep nope ok okay sure sorry what why hello hi thanks thank please pls".split())
# a correction in the same answer: "7 5 6 8 hang on no wait H V 3 9 3 4"
_CORRECTION_RX = re.compile(r"(?i)\s*(?:,\s*)?(?:hang\s+on|no\s+wait|sorry|i\s+mean|or|actually)(?:[ ,]+(?:no|wait|sorry|it'?s|its))*[ ,]+")


class PromptedValueRecognizer(EntityRecognizer):
    """The answer to a question that asks for an identifier, in a dialogue (a call transcript, a chat): "rep:
    can i get the member id pls" / "caller: yeah its 7 5 6 8 5 7 9 5 hang on no wait H V 3 9 3 4 0". The
    answer has no label of its own; the question is its label. The value must have the asked kind's shape (an
    id with digits or spoken digits, a postal code, an address line with a number); a correction after "hang on
    no wait" is taken too."""

    def __init__(self, entities: Iterable[str], language: str = "en"):
        self.entities = set(entities)
        super().__init__(
            supported_entities=sorted(self.entities & {e for e, _ in _PROMPT_KINDS}) or ["NONE"],
            name="PromptedValueRecognizer",
            supported_language=language,
        )

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001, ANN201
        if "\n" not in text:
            return []
        out: list[RecognizerResult] = []
        for m in _PROMPT_RX.finditer(text, overlapped=True):
            k = next(i for i in range(len(_PROMPT_KINDS)) if m.group(f"k{i}") is not None)
            entity = _PROMPT_KINDS[k][0]
            if entity not in self.entities or entity not in entities:
                continue
            shape = _PROMPT_VALUE.get(entity, _PROMPT_VALUE["ID"])
            pos, end = m.start("v"), m.end("v")
            line = text[text.rfind("\n", 0, pos) + 1 : end]
            if _is_record(line) and _is_record(text[m.start() : text.find("\n", m.start())]):
                continue  # a record of a CSV or a table after a row that names an address: no question, no answer
            while pos < end:
                v = shape.match(text, pos, end)
                if not v:
                    break
                if entity == "PERSON":
                    words = v.group().casefold().split()
                    if not any(_drop_word(w) or w in _NOT_HERE or w in _ANSWER_WORDS for w in words):
                        out.append(_result(self, entity, v.start(), v.end(), 0.6))
                    break
                if entity == "STREET_ADDRESS" or entity == "ZIP_CODE" or sum(c.isdigit() for c in v.group()) >= 3 or (
                    not any(c.isdigit() for c in v.group())  # spoken digits
                ):
                    out.append(_result(self, entity, v.start(), v.end(), 0.7))
                c = _CORRECTION_RX.match(text, v.end(), end)
                if not c:
                    break
                pos = c.end()
        return out


# the IBAN's length in each country that uses one (SWIFT's IBAN registry)
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "BY": 28,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19,
    "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def _lower_iban_ok(value: str) -> bool:
    compact = value.replace(" ", "")
    return _IBAN_LENGTHS.get(compact[:2].upper()) == len(compact) and iban_ok(compact)


def _iban_head(word: str) -> bool:
    """Where `\\b[A-Z]{2}\\d{2}` can start: two letters, then two digits."""
    return len(word) >= 4 and word[:2].isalpha() and word[2:4].isdigit()


with_firsts(_iban_head, "abcdefghijklmnopqrstuvwxyz")


_CARD_WORD = r"(?:card|visa|master[ ]?card|amex|maestro|debit|credit|discover)"
# "ending in 1567", "ends with 0042", "last four digits 3871", "ending ****1234"; never a date ("ending 2024-03")
_LAST_FOUR = (
    r"(?:(?:ending|ends)(?:[ \t]+(?:in|with))?|last[ \t]+(?:4|four)(?:[ \t]+digits)?)[ \t]*[:#]?[ \t]*"
    r"(?:[*xX•.]{2,}[ -]?)?(?P<v>\d{4})(?![\d/.-]\d)"
)
_MASKED_PAN = r"(?<![\w*•])[\d*xX•](?:[ -]?[\d*xX•]){10,14}[ -]?\d{4}(?![\w*•])"


def _masked_pan_gate(text: str) -> bool:
    return "**" in text or "xxxx" in text or "XXXX" in text or "••" in text


def _masked_pan_ok(value: str) -> bool:
    """Masked, not a number: four masking characters or more, and no letter but the mask's x."""
    masks = sum(value.count(c) for c in "*xX•")
    return masks >= 4 and not any(c.isalpha() and c not in "xX" for c in value)


class CardDataRecognizer(_RegexRecognizer):
    RULES = [
        ("CREDIT_CARD", r"\b(?:\d[ -]?){12,18}\d\b", 0.6, 0, card_ok),  # (scanning beats trying each number)
        # in groups of four between dots ("5172.0756.3258.6221"), not an OID's "2.16.840.1.249308"
        ("CREDIT_CARD", r"(?<![\d.])\d{4}\.\d{4}\.\d{4}\.\d{1,7}(?![\d.])", 0.6, 0, card_ok),
        # glued to a code before it: an airline's form of payment "FOP CCCA4222253727271479/1226", "CCVI4…"
        ("CREDIT_CARD", r"(?<=[A-Za-z])[2-6]\d{12,18}(?!\d)", 0.6, 0, card_ok),
        # a card's last four digits as a statement or a call note gives them ("Visa card ending in 1567", "card
        # last four digits 3871", "the last 4 digits of your card are 5521"): with the holder, the bank and a date
        # they single out the card (PCI allows showing them; a training set has no need of them)
        (
            "CREDIT_CARD",
            rf"(?i)\b{_CARD_WORD}(?:[ \t]+(?:number|no\.?|#))?[ \t]+{_LAST_FOUR}",
            0.6,
            "v",
            None,
            Starts(prefix_test("card", "visa", "master", "amex", "maestro", "debit", "credit", "discover")),
        ),
        (
            "CREDIT_CARD",
            rf"(?i)\blast[ \t]+(?:4|four)(?:[ \t]+digits)?[ \t]+of[ \t]+(?:(?:the|your|his|her|their|my)[ \t]+)?"
            rf"(?:\w+[ \t]+)?{_CARD_WORD}[ \t]*(?:[:#]|are|is|were|was)?[ \t]*(?P<v>\d{{4}})(?![\d/.-]\d)",
            0.6,
            "v",
            None,
            Starts(prefix_test("last")),
        ),
        # the same of an account ("the account ending 9815", "a/c ending in 0042")
        (
            "ACCOUNT_NUMBER",
            rf"(?i)\b(?:account|acct|a/c)(?:[ \t]+(?:number|no\.?|#))?[ \t]+{_LAST_FOUR}",
            0.6,
            "v",
            None,
            Starts(prefix_test("account", "acct", "a")),
        ),
        # a card number after its label that a column's width broke over two lines ("Card guarantee: 3684 125508\n5131",
        # "Card: 2221-7457-\n3892-4314"); Luhn keeps the next line's numbers out
        (
            "CREDIT_CARD",
            rf"(?i)\b{_CARD_WORD}\b[^\n\d]{{0,30}}(?P<v>(?:\d[ -]?){{4,16}}\r?\n[ \t]*(?:\d[ -]?){{1,15}}\d)(?![\d-])",
            0.6,
            "v",
            card_ok,
            Starts(prefix_test("card", "visa", "master", "amex", "maestro", "debit", "credit", "discover"), pre=_has_line_break),
        ),
        # a masked card number that shows its last four ("pan=352891******5094", "**** **** **** 4421",
        # "XXXX-XXXX-XXXX-1234"): the digits shown are the card's
        ("CREDIT_CARD", _MASKED_PAN, 0.6, 0, _masked_pan_ok, _masked_pan_gate),
        (
            "CVV",
            r"(?i)\b(?:cvv2?|cvc2?|cid|csc|security\s+code|card\s+code|card\s+verification(?:\s+value)?)\s*[:#=]?\s*(?:is\s+)?(?P<v>\d{3,4})\b",
            0.9,
            "v",
            None,
            Starts(prefix_test("cvv", "cvc", "cid", "csc", "security", "card")),
        ),  # noqa: E501
        (
            "CARD_EXPIRY",
            # (or written MMYY, as a payment log does: "exp=0727")
            r"(?i)\b(?:exp(?:iry|iration|ires|\.)?(?:\s+date)?|valid\s+(?:thru|through|until)|good\s+thru)\s*[:#=]?\s*(?:on\s+|in\s+)?(?P<v>(?:0[1-9]|1[0-2])(?:\s?[/-]\s?(?:\d{2}|20\d{2})|\d{2}(?=[\s,;&]|$)))\b",
            0.9,
            "v",
            None,
            Starts(prefix_test("exp", "valid", "good")),
        ),  # noqa: E501
        (
            "IBAN_CODE",
            r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b",
            0.6,
            0,
            iban_ok,
            Starts(_iban_head),
        ),
        # broken over two lines, as a PDF's or a letter's column wraps it ("IBAN: IT38\nO144 0553 4785 ISKD NM9Q 4Y6",
        # "FR48 5589 5414\n91SK 50YU CAF2 F62"); the checksum keeps the next line's words out
        (
            "IBAN_CODE",
            r"\b[A-Z]{2}\d{2}(?=(?:[ ]?[A-Z0-9]{4}){0,7}[ ]?\r?\n)(?:(?:[ ]?|[ ]?\r?\n[ ]?)[A-Z0-9]{4}){1,7}"
            r"(?:(?:[ ]?|[ ]?\r?\n[ ]?)[A-Z0-9]{1,4})?\b",
            0.6,
            0,
            iban_ok,
            Starts(_iban_head, pre=_has_line_break),
        ),
        # typed in lower case without a label ("it should be pl73772417795757090882974425", "gb38 loyd 5518 6660 9026
        # 21"): the country's own length as well as the checksum, as a lower-case token is no rare thing
        (
            "IBAN_CODE",
            r"(?<![\w-])[a-z]{2}\d{2}(?:[ ]?[a-z0-9]{4}){2,7}(?:[ ]?[a-z0-9]{1,4})?(?![\w-])",
            0.6,
            0,
            _lower_iban_ok,
            Starts(_iban_head),
        ),
        # typed in lower case after its label ("iban fr5012355459629137446451289", "iban nl95 abna 0306 0991 31")
        (
            "IBAN_CODE",
            r"(?i)\biban[ \t]*[:#]?[ \t]*(?P<v>[a-z]{2}\d{2}(?:[ ]?[a-z0-9]{4}){2,7}(?:[ ]?[a-z0-9]{1,4})?)\b",
            0.8,
            "v",
            iban_ok,
            Starts(prefix_test("iban")),
        ),
    ]
    FLAGS = 0


# ---------------------------------------------------------------------------------------------------------
# E-mail addresses that a hard line wrap broke ("janis.ko-\nvacs@hse.ie", "s.miah@turnerbak-\ner.co.uk"): text
# from PDFs and wrapped mail. Presidio's pattern sees only the half after the break, or a domain without its
# suffix; the address is the whole, break included.

_WRAP_BREAK = r"-[ ]?\r?\n(?:>[ ]?)*"
_WRAP_GATE = re.compile(r"-[ ]?\r?\n")


def _wrapped_gate(text: str) -> bool:
    return "@" in text and _WRAP_GATE.search(text) is not None


_MAIL_PROVIDERS = (
    "gmail|googlemail|yahoo|ymail|hotmail|outlook|live|msn|icloud|me|aol|gmx|web|ziggo|orange|free|laposte|"
    "bigpond|optusnet|rediffmail|protonmail|proton|btinternet|sky|virginmedia|talktalk|comcast|att|verizon|"
    "libero|tiscali|telenet|kpnmail|xs4all|t-online|freenet|eircom|xtra|shaw|rogers|sympatico|mweb|zoho|yandex"
)


def _spoken_email_gate(text: str) -> bool:
    return (" dot " in text or " DOT " in text) and (" at " in text or " AT " in text)


def _masked_email_gate(text: str) -> bool:
    return "%40" in text or "[.]" in text or "(.)" in text or _MASKED_AT_GATE.search(text) is not None


_MASKED_AT_GATE = re.compile(r"[\(\[{<][aA][tT][\)\]}>]")


_MASKED_AT = r"(?:[ ]?(?:\(at\)|\[at\]|\{at\}|<at>)[ ]?|%40|@)"
_MASKED_DOT = r"(?:[ ]?(?:\(dot\)|\[dot\]|\{dot\}|<dot>|\[\.\]|\(\.\))[ ]?|\.)"


# an address written around spam filters in any mix of forms ("isla.dlamini74 [at] staff DOT northbridgesavings DOT
# net", "a.abara at members(dot)pinewoodfamilypractice(dot)net", "noor94 {at} us . harbourlanesurgery . co . uk",
# "kevin34 @ orange.fr", "s.wright[@]grünwald DOT at", "b [dot] visser (at) telefonica [dot] net")
_ANY_AT = r"(?:[ ]?(?:\((?i:at)\)|\[(?i:at)\]|\{(?i:at)\}|<(?i:at)>|\[@\]|\(@\))[ ]?|[ ]@[ ]|%40|@|[ ](?:at|AT)[ ])"
_ANY_DOT = r"(?:[ ]?(?:\((?i:dot)\)|\[(?i:dot)\]|\{(?i:dot)\}|<(?i:dot)>|\[\.\]|\(\.\))[ ]?|[ ](?:dot|DOT)[ ]|[ ]\.[ ]|\.)"
_SPOKEN_AT = re.compile(r" (?:at|AT) ")
_SPOKEN_TLDS = frozenset(
    "com org net edu gov co uk de nl fr br au ie in za ca nz es it pt be ch at se no dk fi pl mx ng ke sg ph jp info biz "
    "me io fm tv us eu cz hu ro gr tr ru cn kr ar cl pe".split()
)


_ANY_EMAIL_MARKS = (" dot ", "(dot)", "[dot]", "{dot}", "<dot>", "(at)", "[at]", "{at}", "<at>", "[@]", "(@)", " @ ", "%40",
                    " . ")


def _any_email_gate(text: str) -> bool:
    low = text.lower()
    return any(mark in low for mark in _ANY_EMAIL_MARKS)


def _any_email_ok(value: str) -> bool:
    """Written with a bracket or "@" it is an address; with the words "at" and "dot" alone only where it reads as one:
    a known top-level domain, and a local part with a sign, a digit or a spoken dot ("helen17 at fastmail dot fm";
    not "looked at example dot com")."""
    if any(c in value for c in "()[]{}<>@%"):
        return True
    local = _SPOKEN_AT.split(value, maxsplit=1)[0]
    tld = value.rsplit(" ", 1)[-1].rsplit(".", 1)[-1].casefold()
    return tld in _SPOKEN_TLDS and (
        any(c in local for c in "._+-0123456789") or " dot " in local.casefold() or " underscore " in local
    )


class WrappedEmailRecognizer(_RegexRecognizer):
    RULES = [
        (
            "EMAIL_ADDRESS",
            rf"(?<![\w.+-])\w[\w.+-]*(?:(?:{_ANY_DOT}|[ ](?:underscore|dash|hyphen|plus)[ ])\w[\w.+-]*)*{_ANY_AT}"
            rf"\w[\w-]*(?:{_ANY_DOT}\w[\w-]*)*{_ANY_DOT}[^\W\d_]{{2,12}}(?![\w-])",
            0.7,
            0,
            _any_email_ok,
            _any_email_gate,
        ),
        (
            "EMAIL_ADDRESS",
            rf"(?<![\w.+-])(?:[\w.+]+{_WRAP_BREAK}[\w.+-]*@[A-Za-z0-9-]+|[\w.+-]+@[A-Za-z0-9.-]*[A-Za-z0-9]{_WRAP_BREAK}"
            r"[A-Za-z0-9-]*)(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
            0.7,
            0,
            None,
            _wrapped_gate,
        ),
        # read out in a call: "will dot frank at yahoo dot com dot br", "summer_smith1953 at ziggo dot nl"
        (
            "EMAIL_ADDRESS",
            # (a local part with a sign or digit or a spoken dot, or a mail provider's domain: "arrived at home dot
            # com" is no address)
            r"(?i)(?<![\w.-])(?:(?:[a-z0-9][\w.+-]*(?:[ ](?:dot|underscore|dash|hyphen)[ ][\w+-]+)+|[a-z]*[._0-9+][\w.+-]*)"
            r"[ ]at[ ][a-z0-9-]+(?:[ ]dot[ ][a-z0-9-]+)*"
            rf"|[a-z0-9][\w.+-]*[ ]at[ ](?:{_MAIL_PROVIDERS})(?:[ ]dot[ ][a-z0-9-]+)*)"
            r"[ ]dot[ ](?:com|org|net|edu|gov|co|uk|de|nl|fr|br|au|ie|in|za|ca|nz|"
            r"es|it|pt|be|ch|at|se|no|dk|fi|pl|mx|ng|ke|sg|ph|jp|info|biz|me|io)(?![\w-])",
            0.6,
            0,
            None,
            _spoken_email_gate,
        ),
        # written around spam filters, or URL-encoded in a query: "carmen55(at)orange.fr", "cian [at] outlook
        # [dot] com", "r.oconnor {at} bigpond.com", "aoife43@hotmail[.]com", "?email=paige_hall%40gmx.de"
        (
            "EMAIL_ADDRESS",
            rf"(?i)(?<![\w.+-])[\w.+-]*[\w+-]{_MASKED_AT}[a-z0-9-]+(?:{_MASKED_DOT}[a-z0-9-]+)*{_MASKED_DOT}[a-z]{{2,}}(?![\w-])",
            0.7,
            0,
            None,
            _masked_email_gate,
        ),
    ]
    FLAGS = 0


def _scheme_gate(text: str) -> bool:
    return "://" in text


class SchemeUrlRecognizer(_RegexRecognizer):
    """A URL by its scheme, whatever its host: Presidio's pattern wants a public suffix, and an intranet's or an
    EHR's host has none ("https://emr.trust.local/patients/3020486/meds", "http://pacs01/viewer?acc=77123")."""

    RULES = [
        ("URL", r"\bhttps?://[^\s\"'<>\\|]{3,2000}", 0.6, 0, None, _scheme_gate),
    ]
    FLAGS = re.IGNORECASE


# ---------------------------------------------------------------------------------------------------------
# Policy-defined recognizers and spaCy NER


class ChecksumPatternRecognizer(PatternRecognizer):
    """A Presidio PatternRecognizer whose matches must pass a checksum (Luhn, IBAN, ABA, VIN, NPI, SSN)."""

    def __init__(self, validator: str | None = None, **kwargs):  # noqa: ANN003
        self._validator = VALIDATORS[validator] if validator else None
        super().__init__(**kwargs)

    def validate_result(self, pattern_text: str) -> bool | None:
        if self._validator is None:
            return None
        # True would lift the score to 1.0 (Presidio's convention); keep the pattern's score instead
        return None if self._validator(pattern_text) else False


def gated(cls: type, gate: str, chunked: bool = False) -> type:
    """A subclass of a Presidio recognizer that skips texts without `gate` (a cheap necessary condition).

    `chunked`: the recognizer's matches never contain white space and its patterns look no further than
    the neighbouring character (e-mail, URL, IP): it then runs only on the white-space-delimited runs that
    contain `gate`, and the offsets are shifted back. Same findings as on the whole text (a run's edges are
    white space or the text's ends, which the patterns' boundaries treat alike), a fraction of the cost:
    Presidio's URL patterns are ~6,000-character alternations tried at every position of the text."""
    rx = re.compile(gate)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: ANN001, ANN202
        if not rx.search(text):
            return []
        if not chunked:
            return cls.analyze(self, text, entities, nlp_artifacts, regex_flags)
        out = []
        end = 0
        for hit in rx.finditer(text):  # a gate match never holds white space: it lies inside one run
            if hit.start() < end:
                continue  # in the run just analyzed
            before = _LAST_SPACE.search(text, 0, hit.start())
            s = before.end() if before else 0
            after = _SPACE.search(text, hit.end())
            end = after.start() if after else len(text)
            for r in cls.analyze(self, text[s:end], entities, nlp_artifacts, regex_flags):
                r.start += s
                r.end += s
                out.append(r)
        return out

    return type(f"Gated{cls.__name__}", (cls,), {"analyze": analyze})


_RUN = re.compile(r"\S+")
_SPACE = re.compile(r"\s")
_LAST_SPACE = re.compile(r"(?r)\s")  # searched backwards: the last white space before a position
_SHAPE_DIGIT = re.compile(r"\d")


def _drop_word(w: str) -> bool:
    low = w.casefold().strip(".,:;'’()")
    return not low or low in lx.NOT_NAMES or low in lx.NAME_STOP or low in lx.DRUGS


class FilteredSpacyRecognizer(SpacyRecognizer):
    """spaCy NER results (PERSON, LOCATION, ...) without drug names, abbreviations and digit shapes."""

    english: lx.EnglishWords | None = None  # ordinary English words: a PERSON of only such words is none

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001, ANN201
        results = super().analyze(text, entities, nlp_artifacts)
        kept = []
        for r in results:
            span = text[r.start : r.end]
            if r.entity_type in ("PERSON", "LOCATION"):
                # trim a possessive and surrounding punctuation
                while span and span[-1] in ".,;:'’)":
                    span = span[:-1]
                    r.end -= 1
                if span.endswith(("'s", "’s")):
                    r.end -= 2
                    span = span[:-2]
                # trim leading/trailing words that are never part of a name ("Dx Wells" → "Wells")
                parts = list(_RUN.finditer(span))
                while parts and _drop_word(parts[0].group(0)):
                    parts.pop(0)
                while parts and _drop_word(parts[-1].group(0)):
                    parts.pop()
                if not parts:
                    continue
                base = r.start
                r.start, r.end = base + parts[0].start(), base + parts[-1].end()
                span = text[r.start : r.end]
                words = [w.casefold().strip(".,'’") for w in span.split()]
                if not words or _SHAPE_DIGIT.search(span) or any(c in span for c in "@/:#<>=_"):
                    continue
                if all(w in lx.NOT_NAMES or w in lx.DRUGS or len(w) < 2 for w in words):
                    continue
                if r.entity_type == "PERSON" and any(w in lx.DRUGS for w in words):
                    continue
                if (
                    r.entity_type == "PERSON"
                    and self.english
                    and span.isupper()
                    and all(len(w) >= 4 and w in self.english and w not in _ANY_NAME_WORD for w in words)
                ):
                    continue  # a heading ("OPERATIVE REPORT", "RECEIPT"): ordinary words in capitals, none a name
            kept.append(r)
        return kept


# every name word the lexicons know, also those that are ordinary words ("grace", "smith", "bishop")
_ANY_NAME_WORD = (
    lx.GIVEN_NAMES | lx.SURNAMES | lx.WIDE_NAMES | lx.AMBIGUOUS_GIVEN | lx.WORD_GIVEN | lx.WORD_SURNAMES
    | lx.AMBIGUOUS_SURNAMES
)

_ = (iban_ok,)  # re-exported for tests
