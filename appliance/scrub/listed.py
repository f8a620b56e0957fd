"""Names listed with a name: "equally to Noah and Autumn", "Children: Sekou, Chidi and Efua", "Noah & Harper". A
capitalised word joined by "and", "&", "or" or "/" to a name found in the text is a name too when it reads as one
(a known name, or a word that is no English word); joined by a comma only when it is a known name ("Okafor, London"
is a name and a place). The list is followed both ways, one name after another."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import regex as re

_AFTER = re.compile(
    r"(?:,[ ]?|[ ]+(?:and|&|or)[ ]+|[ ]?/[ ]?)(?P<v>\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?(?:[ ]\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?)?)"
    r"(?![\w'’-])"
)
_BEFORE = re.compile(
    r"(?r)(?<![\w'’.-])(?P<v>\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?)(?:,[ ]?|[ ]+(?:and|&|or)[ ]+|[ ]?/[ ]?)\Z"
)


def listed_names(
    text: str,
    findings: list[Any],
    word_kind: Callable[[str], str],
    covered: Callable[[int, int], bool],
    make: Callable[[int, int], Any],
) -> list[Any]:
    """New PERSON findings (made by `make(start, end)`) for names listed with the PERSON findings. `word_kind(w)`:
    "known" (a name of the name lists), "word" (an English word or a word that is never a name) or "other"."""
    todo = [(f.start, f.end) for f in findings if f.entity_type == "PERSON"]
    seen = set(todo)
    out = []
    while todo:
        start, end = todo.pop()
        for m, rx_at in ((_AFTER.match(text, end), True), (_BEFORE.search(text, max(0, start - 40), start), False)):
            if m is None:
                continue
            a, b = m.span("v")
            if (a, b) in seen or covered(a, b):
                continue
            kinds = [word_kind(w) for w in m.group("v").replace("-", " ").split()]
            comma = "," in (text[end:a] if rx_at else text[b:start])
            if "word" in kinds or (comma and kinds[0] != "known"):
                continue
            seen.add((a, b))
            todo.append((a, b))
            out.append(make(a, b))
    return out
