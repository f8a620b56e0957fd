"""Identifiers by their column: in rows pasted into a text ("436 813 4907,Pickering,Bill,27/06/2006,..."), a column
whose cells other rules found to be one kind of identifier (names, dates, record numbers) holds that kind in its
other rows too, when those cells have its shape. A table with a header naming its columns is the table reader's
(`recognizers.TableRecognizer`); this reads any table, header or not, by what was found in it: a name the NER
missed in one row ("Bill", "ŞAHIN W", a clinician's initials) sits in the column where it found the others.

A column counts when at least two of its cells, and at least half of its non-empty ones, are covered by findings
of one type; a cell then joins that type if it has the type's shape (a name: words of letters, no digit; an
identifier: a digit-bearing code), and a name cell is not only ordinary English words ("PAID", "self")."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from typing import Any

_SEPARATORS = ("|", "\t", ";", ",")
_MIN_CELLS = 3
_MIN_ROWS = 3

# a name cell: a title, then one to four words of letters (with ' ’ . - inside), or "Last, First"
_NAME_CELL = re.compile(
    r"(?i:(?:dr|mr|mrs|ms|miss|mx|prof|sr|revd?|fr|nurse)\.?\s+)?"
    r"(?P<v>[^\W\d_][^\W\d_'’.-]*(?:['’.-][^\W\d_]+)*\.?(?:,?[ ]+[^\W\d_][^\W\d_'’.-]*(?:['’.-][^\W\d_]+)*\.?){0,3})"
)
# a code-like cell: letters, digits and - / . or blanks between groups, with at least three digits
_CODE_CELL = re.compile(r"(?P<v>(?=(?:[^\d]*\d){3})[A-Za-z0-9](?:[A-Za-z0-9]|[-/. ](?=[A-Za-z0-9])){2,40})")
_DATE_CELL = re.compile(r"(?P<v>(?=.*\d)[\w/.,:+ -]{4,32})")
_EMAIL_CELL = re.compile(r"(?P<v>[^\s@,;|]+@[^\s@,;|]+\.[A-Za-z]{2,})")
_SHAPES = {
    "PERSON": _NAME_CELL,
    "DATE_TIME": _DATE_CELL,
    "EMAIL_ADDRESS": _EMAIL_CELL,
}
# types a column is read for; other ids (record, account, plan, licence numbers ...) by `_CODE_CELL`
_NOT_BY_COLUMN = frozenset(["LOCATION", "NRP", "ORGANIZATION", "STREET_ADDRESS", "URL", "IP_ADDRESS", "AGE"])
_MONEY = re.compile(r"(?i)[$€£¥₹]|\b(?:usd|eur|gbp|zar|kes|pln|aud|cad|nzd|inr|chf)\b|^\d{1,3}(?:[,.]\d{3})*[,.]\d{2}$")


def _line_cells(line: str) -> tuple[str, list[tuple[int, int]]] | None:
    from appliance.scrub.recognizers import _inner_cells

    for sep in _SEPARATORS:
        if line.count(sep) >= _MIN_CELLS - 1:
            cells = _inner_cells(line, sep)
            if len(cells) >= _MIN_CELLS:
                return sep, cells
    if line.count("  ") >= _MIN_CELLS - 1:  # a fixed-width report: cells between runs of two blanks or more
        cells = [m.span() for m in _FIXED_CELL.finditer(line)]
        if len(cells) >= _MIN_CELLS:
            return "  ", cells
    return None


_FIXED_CELL = re.compile(r"\S+(?:[ ]\S+)*")
_NOT_PERSONAL_COLUMN = re.compile(
    r"(?i)\b(?:ndc|lot|batch|sku|qty|quantity|codes?|icd(?:-?10)?|cpt|hcpcs|loinc|snomed|expiry|exp|amount|price|"
    r"total|units?|dose|strength|version|status|invoice|order)\b"
)


def _tables(text: str) -> list[list[tuple[int, list[tuple[int, int]]]]]:
    """Runs of at least `_MIN_ROWS` consecutive lines split by one separator into the same number of cells:
    each row as (its start in the text, its cells' spans relative to the row)."""
    runs: list[list[tuple[int, list[tuple[int, int]]]]] = []
    current: list[tuple[int, list[tuple[int, int]]]] = []
    shape = None
    pos = 0
    for line in text.splitlines(keepends=True):
        start, pos = pos, pos + len(line)
        got = _line_cells(line.rstrip("\r\n"))
        # (a fixed-width report's rows have their fields at the same places; a form's "Label:  value" lines do not)
        key = (got[0], len(got[1]), tuple(a for a, _ in got[1]) if got[0] == "  " else ()) if got else None
        if key is None or key != shape:
            if len(current) >= _MIN_ROWS:
                runs.append(current)
            current = []
        shape = key
        if got:
            current.append((start, got[1]))
    if len(current) >= _MIN_ROWS:
        runs.append(current)
    return runs


def by_column(
    text: str,
    findings: list[Any],
    make: Callable[[str, int, int], Any],
    only_words: Callable[[str], bool],
    known_name: Callable[[str], bool],
) -> list[Any]:
    """New findings (made by `make(type, start, end)`) for the cells of columns read as above. `only_words(v)`:
    the value is ordinary words and no name (a name column's "PAID", "self", "Unknown" stay); `known_name(w)`:
    the word is a known given name or surname (a column beside a name column whose cells are mostly known names,
    "Bill", "Dawn", "Bongani" beside the surnames, is the given names' column)."""
    if not findings or ("\n" not in text):
        return []
    tables = _tables(text)
    if not tables:
        return []
    out = []
    ordered = sorted(findings, key=lambda f: f.start)
    for rows in tables:
        header: list[str] = []
        if _is_header(text, rows):  # "date,description,amount,counterparty": labels, not values
            header = [text[rows[0][0] + a : rows[0][0] + b] for a, b in rows[0][1]]
            rows = rows[1:]
        out.extend(_postcodes_after_streets(text, rows, ordered, make))
        lo, hi = rows[0][0], rows[-1][0] + rows[-1][1][-1][1]
        inside = [f for f in ordered if f.start < hi and f.end > lo and f.entity_type not in _NOT_BY_COLUMN]
        if len(inside) < 2:
            continue
        ends = [f.end for f in inside]  # findings do not overlap: their ends are in order too
        columns = []
        for col in range(len(rows[0][1])):
            spans = [(r + cells[col][0], r + cells[col][1]) for r, cells in rows]
            covered_by = [_covering_type(inside, ends, a, b) if b > a else None for a, b in spans]
            filled = sum(1 for a, b in spans if b > a)
            counts: dict[str, int] = {}
            for kind in covered_by:
                if kind:
                    counts[kind] = counts.get(kind, 0) + 1
            kind, n = max(counts.items(), key=lambda kv: kv[1]) if counts else (None, 0)
            columns.append((spans, covered_by, kind if n >= 2 and 2 * n >= filled else None, n))
        for col, (spans, covered_by, kind, n) in enumerate(columns):
            if header and _NOT_PERSONAL_COLUMN.search(header[col]):
                continue  # "NDC", "Lot", "Qty": a column of codes, whatever was found in it
            if kind is None and n == 0 and _beside_names(columns, col):
                kind = _names_column(text, spans, known_name)
            if kind is None and n == 0 and any(c[2] == "PERSON" for c in columns) and _id_column(text, spans):
                out.extend(make(_ID_COLUMN_TYPE, a, b) for a, b in spans)
                continue
            if kind is None:
                continue
            shape = _SHAPES.get(kind, _CODE_CELL)
            for (a, b), got in zip(spans, covered_by, strict=True):
                if got == kind or b <= a:
                    continue
                m = shape.fullmatch(text, a, b)
                if m is None:
                    continue
                v = m.group("v")
                if kind == "PERSON" and (any(c.isdigit() for c in v) or only_words(v)):
                    continue
                if kind != "PERSON" and _MONEY.search(v):
                    continue
                out.append(make(kind, m.start("v"), m.end("v")))
    return out


# a postcode cell: US ZIP (+4), Dutch "9743 RX", UK, Canadian, or four digits (Australia, Belgium ...)
_POSTCODE_CELL = re.compile(
    r"(?P<v>\d{5}(?:-\d{4})?|\d{4}[ ]?[A-Z]{2}|[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}|[A-Z]\d[A-Z][ ]?\d[A-Z]\d|\d{4})"
)
_PLACE_CELL = re.compile(r"[^\W\d_][^\W\d_'’. -]*(?:[ .'’-]+[^\W\d_]+)*\.?")


def _postcodes_after_streets(
    text: str, rows: list[tuple[int, list[tuple[int, int]]]], findings: list[Any], make: Callable[[str, int, int], Any]
) -> list[Any]:
    """A postcode in the cell after a street's, or after the street's town (and state) cells: "6482 E Cedar
    Ln|62754", "PO Box 8962;Portland;OR;97298"."""
    streets = [f for f in findings if f.entity_type == "STREET_ADDRESS"]
    if not streets:
        return []
    street_ends = [f.end for f in streets]
    ends = [f.end for f in findings]
    out = []
    for start, cells in rows:
        spans = [(start + a, start + b) for a, b in cells]
        for j, (a, b) in enumerate(spans):
            if not any(f.start <= a + 1 and f.end >= b - 1 for f in _overlapping(streets, street_ends, a, b)):
                continue
            for k in range(j + 1, min(j + 4, len(spans))):
                c, d = spans[k]
                m = _POSTCODE_CELL.fullmatch(text, c, d)
                if m:
                    if next(_overlapping(findings, ends, c, d), None) is None:
                        out.append(make("ZIP_CODE", c, d))
                    break
                if not _PLACE_CELL.fullmatch(text, c, d):
                    break
    return out


def _is_header(text: str, rows: list[tuple[int, list[tuple[int, int]]]]) -> bool:
    """The first row has no digit and another row has one."""
    def digits(row: tuple[int, list[tuple[int, int]]]) -> bool:
        start, cells = row
        return any(c.isdigit() for c in text[start : start + cells[-1][1]])

    return not digits(rows[0]) and any(digits(r) for r in rows[1:])


def _beside_names(columns: list[tuple[Any, ...]], col: int) -> bool:
    return any(0 <= j < len(columns) and columns[j][2] == "PERSON" for j in (col - 1, col + 1))


def _names_column(text: str, spans: list[tuple[int, int]], known_name: Callable[[str], bool]) -> str | None:
    """"PERSON" when every non-empty cell is a name's shape and at least half of them are known names."""
    cells = [text[a:b] for a, b in spans if b > a]
    if len(cells) < 2 or not all(_NAME_CELL.fullmatch(c) for c in cells):
        return None
    if 2 * len(set(cells)) < len(cells) + 1:  # "AUD", "AUD", "AUD": a category, not people
        return None
    known = sum(1 for c in cells if all(known_name(w.strip(".,'’-").casefold()) for w in c.split()))
    return "PERSON" if 2 * known >= len(cells) else None


# a column of a table of people whose every cell is a distinct code of one shape ("CZW6364", "PEZ8766", ...; or
# "7169945", "8802113", ...): each row's own identifier, a record or account number no other rule had a label for
_ID_CELL = re.compile(r"(?=(?:[^\d]*\d){4})[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_ID_COLUMN_TYPE = "ACCOUNT_NUMBER"  # as the table reader reads a column headed "Ref" or "ID"


def _id_column(text: str, spans: list[tuple[int, int]]) -> bool:
    cells = [text[a:b] for a, b in spans]
    if len(cells) < _MIN_ROWS or not all(6 <= len(c) <= 20 and _ID_CELL.fullmatch(c) for c in cells):
        return False
    if len(set(cells)) < len(cells):  # a category or a status repeated, not one id per row
        return False
    shapes = {re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", c)) for c in cells}
    return len(shapes) == 1


def _overlapping(findings: list[Any], ends: list[int], a: int, b: int) -> Iterator[Any]:
    """The findings (in order, not overlapping each other; `ends` their ends) that overlap [a, b)."""
    for i in range(bisect.bisect_right(ends, a), len(findings)):
        if findings[i].start >= b:
            return
        yield findings[i]


def _covering_type(findings: list[Any], ends: list[int], a: int, b: int) -> str | None:
    """The type of the findings that cover at least half of the cell, if one type does."""
    kinds: dict[str, int] = {}
    for f in _overlapping(findings, ends, a, b):
        kinds[f.entity_type] = kinds.get(f.entity_type, 0) + min(b, f.end) - max(a, f.start)
    if not kinds:
        return None
    kind, n = max(kinds.items(), key=lambda kv: kv[1])
    return kind if 2 * n >= b - a else None
