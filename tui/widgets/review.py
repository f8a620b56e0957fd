"""Side-by-side display of an original record and its scrubbed form, findings highlighted by type.

The pairing is a word-level alignment of the two texts (what the scrubber replaced shows up as a changed run;
its type is the placeholder's entity, e.g. <PERSON>); it runs on screen data only and writes nothing.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from rich.text import Text

TOKEN = re.compile(r"<[A-Z][A-Z0-9_]*(?: [^<>]{0,40})?>|\w+|\s+|[^\w\s]")
PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9_]*)")
PALETTE = [
    "black on #ff8a80",
    "black on #ffd180",
    "black on #ffff8d",
    "black on #b9f6ca",
    "black on #80d8ff",
    "black on #ea80fc",
    "black on #cfd8dc",
    "black on #a7ffeb",
]
OTHER = "CHANGED"


def style_for(entity: str) -> str:
    if entity == OTHER:
        return "black on #e0e0e0"
    return PALETTE[sum(map(ord, entity)) % len(PALETTE)]


def align(original: str, scrubbed: str) -> tuple[list[tuple[int, int, str]], list[tuple[int, int, str]]]:
    """(spans in the original, spans in the scrubbed text), each (start, end, entity type)."""
    a, b = TOKEN.findall(original), TOKEN.findall(scrubbed)
    oa, ob = _offsets(a), _offsets(b)
    left: list[tuple[int, int, str]] = []
    right: list[tuple[int, int, str]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        m = PLACEHOLDER.search("".join(b[j1:j2]))
        entity = m.group(1) if m else OTHER
        if i2 > i1:
            left.append((oa[i1], oa[i2 - 1] + len(a[i2 - 1]), entity))
        if j2 > j1:
            right.append((ob[j1], ob[j2 - 1] + len(b[j2 - 1]), entity))
    return left, right


def _offsets(tokens: list[str]) -> list[int]:
    out, pos = [], 0
    for t in tokens:
        out.append(pos)
        pos += len(t)
    return out


def highlight(text: str, spans: list[tuple[int, int, str]]) -> Text:
    t = Text(text)
    for start, end, entity in spans:
        t.stylize(style_for(entity), start, end)
    return t


def legend(entities: list[str]) -> Text:
    t = Text()
    for e in sorted(set(entities)):
        t.append(f" {e} ", style=style_for(e))
        t.append(" ")
    return t
