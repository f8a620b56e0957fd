"""People written as their initials: "YX: Can you describe what happened?" in the record of an interview with Yang
Xin, "Joint visit AO/BR today", "Action (JW): callback booked". Two kinds of evidence, both from the text itself:

- the initials of a name found in it ("Yang Xin" -> "YX", "Rachel Anne Shaw" -> "RAS" and "RS"), anywhere as a
  word of capitals;
- speakers of a transcript: a line that starts with two or three capitals and a colon, then a sentence, when at
  least two such speakers take turns ("KB: Can you ...", "ZA: I emailed ...").

Roles and common abbreviations ("HR:", "GP:", "BP", "OR", "ID") are never taken by the second kind, and by the
first only as a speaker (a line's "OR:" in the interview of Oliver Reed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import regex as re

# initials a text often means otherwise: roles, units, dosing, places, words in capitals. Not the name rules'
# `recognizers._NOT_INITIALS`: that list also holds letters that are often a person's initials ("DC", "DS", "HV",
# "ML"), and here the letters must match a name found in the same text (reusing it cost R 0.12 points of PERSON)
_NOT_INITIALS = frozenset(
    """
    a an as at be by do go he hi if in is it me my no of oh ok on or so to up us we
    am pm uk us eu un nhs gp hr ot pt rn sw dn md dr mr ms mx st rd id tv iv im sc po pr bd od qds tds prn bp hb ct
    ed er icu ae gmc re cc ps nb fyi asap eta tbc tba na nk n/a ceo cfo coo cto hca slt dsl sen pa hod hoy it qa pm
    tl fo cs co ltd plc llc inc vat tax iban bic swift dob mrn nhi ssn dvla dwp hmrc fca pra ico cqc dbs ofsted
    ok yes no mon tue wed thu fri sat sun jan feb mar apr may jun jul aug sep oct nov dec ecg eeg mri cxr abg
    cv gcs rr sats temp bmi bnf nice who cdc fda usa bm ca ck cr fbc ue lft inr crp esr tsh sl pv ng neb inh ivi dna
    dnr dnacpr ecg ekg copd chf ckd aki uti dvt pe mi tia cva ra oa ms ibs gord ptsd adhd asd ld ot slt msk obs
    """.split()
)
_SPEAKER = re.compile(r"(?m)^[ \t]*(?P<v>\p{Lu}{2,3}|\p{Lu}\.\p{Lu}\.?)[ \t]*:[ \t]+(?=\p{Lu}?\p{Ll}*\W*\w+\W+\w+\W+\w+)")
_NAME_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def initials(
    text: str, findings: list[Any], covered: Callable[[int, int], bool], make: Callable[[int, int], Any]
) -> list[Any]:
    """New PERSON findings (made by `make(start, end)`) for initials in `text` as above; `covered(start, end)`:
    the span is already a finding or a kept phrase."""
    wanted: set[str] = set()
    for f in findings:
        if f.entity_type != "PERSON":
            continue
        words = [w for w in _NAME_WORD.findall(text, f.start, f.end) if w[0].isupper()]
        if len(words) >= 2:
            first, last = words[0][0], words[-1][0]
            wanted.add(first + last)
            if len(words) == 3:
                wanted.add(first + words[1][0] + last)
    speakers: dict[str, list[tuple[int, int]]] = {}
    if ":" in text:
        for m in _SPEAKER.finditer(text):
            tag = m.group("v")
            speakers.setdefault(tag, []).append(m.span("v"))
    out = []
    turns = [t for t in speakers if t.replace(".", "").casefold() not in _NOT_INITIALS]
    if len(turns) >= 2 and sum(len(speakers[t]) for t in turns) >= 3:
        for t in turns:
            wanted.add(t)
    for tag, spans in speakers.items():  # a name's initials as a speaker, even "OR"
        if tag in wanted:
            out.extend(make(a, b) for a, b in spans if not covered(a, b))
    for tag in wanted:
        if tag.casefold() in _NOT_INITIALS or "." in tag:
            continue
        i = text.find(tag)  # (str.find: a pattern compiled per tag would cost more than the whole search)
        while i >= 0:
            e = i + len(tag)
            if _standalone(text, i, e) and not covered(i, e) and not _in_capitals(text, i, e):
                out.append(make(i, e))
            i = text.find(tag, e)
    return out


def _standalone(text: str, start: int, end: int) -> bool:
    """text[start:end] is a word of its own: no word character, "&" or "-" touches it; a "/" before it only after
    capitals ("AO/BR"), and none after it before a word ("BR/ward")."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if before.isalnum() or before in "_&-" or after.isalnum() or after in "_&-":
        return False
    if before == "/" and (start < 2 or not text[start - 2].isupper()):
        return False
    return not (after == "/" and _WORD_AFTER_SLASH.match(text, end + 1))


_WORD_AFTER_SLASH = re.compile(r"\w\w\w")


def _in_capitals(text: str, start: int, end: int) -> bool:
    """The initials stand among other words in capitals ("ZA TOTAL", "PAID BY KB ORDER"): a heading or a code."""
    before = text[max(0, start - 12) : start].split()
    after = text[end : end + 12].split()
    near = [w for w in (before[-1:] + after[:1]) if w.isalpha() and len(w) > 3]
    return any(w.isupper() for w in near)
