"""Replacement operators: placeholders, masks, keyed HMAC pseudonyms and keyed fake surrogates.

Pseudonyms and surrogates are keyed with a 32-byte workspace secret (`<workspace>/keys/pseudonym.key`,
mode 0600), so the same value maps to the same replacement across records and runs of one workspace and
to a different one in another workspace. Presidio's own `hash` operator uses a random salt per run, which
would break conversations apart; it is never used here.

The value is normalized before hashing (case, spacing, "Last, First" order, phone digits), so "JOHN SMITH",
"John  Smith" and "Smith, John" get one pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError

KEY_FILE = "pseudonym.key"
KEY_BYTES = 32


def pseudonym_key(ws: Any) -> bytes:
    """The workspace's pseudonym key; created (random, 0600, atomic) on first use."""
    from appliance.workspace import write_atomic

    path = Path(ws.keys_dir) / KEY_FILE
    if path.is_file():
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise ApplianceError(
                f"{path} is damaged ({len(key)} bytes, expected {KEY_BYTES}); restore it from backup "
                "(pseudonyms made with another key will not match)"
            )
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    write_atomic(path, key)
    os.chmod(path, 0o600)
    return key


_TITLES_RX = re.compile(r"^(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame)\.?\s+", re.IGNORECASE)


def normalize(entity: str, value: str) -> str:
    v = unicodedata.normalize("NFKC", value).strip()
    if entity in ("PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "CVV"):
        digits = "".join(c for c in v if c.isdigit())
        return digits[-10:] if entity == "PHONE_NUMBER" else digits
    if entity in (
        "IBAN_CODE",
        "MEDICAL_RECORD_NUMBER",
        "ACCOUNT_NUMBER",
        "HEALTH_PLAN_ID",
        "LICENSE_NUMBER",
        "VEHICLE_ID",
        "DEVICE_ID",
        "ZIP_CODE",
    ):
        return "".join(c for c in v if c.isalnum()).upper()
    v = " ".join(v.split()).casefold()
    if entity == "PERSON":
        v = _TITLES_RX.sub("", v)
        if v.count(",") == 1:
            last, first = (p.strip() for p in v.split(","))
            v = f"{first} {last}"
        v = v.strip(" .,'’")
    return v


def digest(key: bytes, entity: str, value: str) -> bytes:
    return hmac.new(key, f"{entity}\x1f{normalize(entity, value)}".encode(), hashlib.sha256).digest()


# ---- surrogates: fake values of the same kind, picked by the HMAC (own small lists; no Faker)

_FAKE_GIVEN = (
    "Alex Robin Sam Jordan Casey Morgan Riley Avery Quinn Jamie Taylor Drew Rowan Sage Emery Harper Reese "
    "Skyler Parker Kendall Blair Dana Elliot Frankie Hayden Jessie Kai Lane Marlowe Noel Oakley Peyton"
).split()
_FAKE_FAMILY = (
    "Ashdown Brookfield Calloway Dunmore Ellery Fairbank Glenhaven Holloway Ingram Juniper Kestrel Larkspur "
    "Merriweather Northcott Oakridge Pemberton Quill Rosewood Stanhope Thornbury Underhill Vale Westbrook "
    "Yarrow Zephyr Amberly Birchwood Coldwell Driftwood Everly"
).split()
_FAKE_STREETS = "Maple Cedar Willow Harbor Meadow Orchard Juniper Aspen Birch Elm Linden Poplar".split()
_FAKE_TYPES = "Street Avenue Road Lane Drive Court Way Place".split()
_FAKE_CITIES = "Northvale Eastbrook Westfield Southport Lakemont Hillcrest Riverbend Stonebridge".split()


def _pick(seq: list[str] | tuple[str, ...], d: bytes, i: int) -> str:
    return seq[int.from_bytes(d[i : i + 2], "big") % len(seq)]


def _digits_from(d: bytes, n: int) -> str:
    num = int.from_bytes(d, "big")
    return "".join(str((num >> (4 * i)) % 10) for i in range(n))


def _shape_preserving(value: str, d: bytes) -> str:
    """Same shape: digits → keyed digits, letters → keyed letters of the same case, rest kept."""
    stream = _digits_from(d, 64)
    out, k = [], 0
    for c in value:
        if c.isdigit():
            out.append(stream[k % 64])
            k += 1
        elif c.isalpha() and c.isascii():
            letter = chr(ord("A") + int(stream[k % 64] + stream[(k + 1) % 64]) % 26)
            out.append(letter if c.isupper() else letter.lower())
            k += 2
        else:
            out.append(c)
    return "".join(out)


def _luhn_fix(digits: str) -> str:
    from appliance.scrub.validators import luhn_ok

    for last in "0123456789":
        cand = digits[:-1] + last
        if luhn_ok(cand):
            return cand
    return digits


def surrogate(entity: str, value: str, d: bytes) -> str:
    if entity == "PERSON":
        name = f"{_pick(_FAKE_GIVEN, d, 0)} {_pick(_FAKE_FAMILY, d, 2)}"
        return name.upper() if value.isupper() else (name.lower() if value.islower() else name)
    if entity == "EMAIL_ADDRESS":
        return f"{_pick(_FAKE_GIVEN, d, 0).lower()}.{d[2:5].hex()}@example.org"
    if entity == "PHONE_NUMBER":
        return f"(555) 01{_digits_from(d, 1)}-{_digits_from(d[4:], 4)}"
    if entity == "STREET_ADDRESS":
        return f"{int.from_bytes(d[:2], 'big') % 9000 + 100} {_pick(_FAKE_STREETS, d, 2)} {_pick(_FAKE_TYPES, d, 4)}"
    if entity == "LOCATION":
        return _pick(_FAKE_CITIES, d, 0)
    if entity == "URL":
        return f"https://example.org/{d[:4].hex()}"
    if entity == "IP_ADDRESS":
        return f"192.0.2.{d[0] % 254 + 1}"  # TEST-NET-1 (RFC 5737)
    if entity == "CREDIT_CARD":
        shaped = _shape_preserving(value, d)
        digits = "".join(c for c in shaped if c.isdigit())
        fixed = _luhn_fix("4" + digits[1:]) if digits else digits
        it = iter(fixed)
        return "".join(next(it) if c.isdigit() else c for c in shaped)
    if entity == "DATE_TIME":
        m = re.search(r"(?:19|20)\d{2}", value)
        year = m.group(0) if m else None
        month = d[0] % 12 + 1
        day = d[1] % 28 + 1
        return f"{year}-{month:02d}-{day:02d}" if year else f"{month:02d}/{day:02d}"
    return _shape_preserving(value, d)


def make_operator(op: Any, entity: str, key: bytes | None) -> tuple[str, dict[str, Any]]:
    """(presidio operator name, params) for one entity under one `OperatorConfig`."""
    t = op.type
    if t == "placeholder":
        if op.keep_year or op.keep_time:
            return "custom", {"lambda": _keep_year(entity, op.keep_year, op.keep_time)}
        return "replace", {"new_value": f"<{entity}>"}
    if t == "redact":
        return "redact", {}
    if t == "replace":
        return "replace", {"new_value": op.new_value}
    if t == "keep":
        return "keep", {}
    if t == "mask":
        return "custom", {"lambda": _mask(op.masking_char, op.keep_first, op.keep_last)}
    if t in ("pseudonym", "surrogate"):
        if key is None:
            raise ApplianceError(
                f"the policy replaces {entity} with keyed {t}s, which need the workspace key: run with a "
                "workspace (the key lives in <workspace>/keys/pseudonym.key)"
            )
        if t == "pseudonym":
            n = op.digest_chars
            return "custom", {"lambda": lambda v: f"<{entity}_{digest(key, entity, v).hex()[:n]}>"}
        return "custom", {"lambda": lambda v: surrogate(entity, v, digest(key, entity, v))}
    if t == "drop_record":  # the record is dropped before anonymizing; this never runs on kept records
        return "replace", {"new_value": f"<{entity}>"}
    raise ValueError(f"unknown operator {t}")


def _mask(ch: str, first: int, last: int) -> Callable[[str], str]:
    def f(v: str) -> str:
        n = len(v)
        out = []
        for i, c in enumerate(v):
            keep = i < first or i >= n - last or not c.isalnum()
            out.append(c if keep else ch)
        return "".join(out)

    return f


_YEAR_IN = re.compile(r"\b(?:19|20)\d{2}\b")
# the time of day at the end of a date's finding ("2022-11-15 23:56:43", "25/11/2024, 18:56", "03/09/2024 07:40 PM")
_TIME_AT_END = re.compile(
    r"(?<=[\sT,])(?:[01]?\d|2[0-3])[:.][0-5]\d(?::[0-5]\d(?:[.,]\d{1,6})?)?(?:[ ]?(?:am|pm|a\.m\.|p\.m\.)|[ap])?"
    r"(?:[ ]?(?:z|utc|gmt|[+-]\d{2}:?\d{2}))?$",
    re.IGNORECASE,
)


def _keep_year(entity: str, year: bool = True, time: bool = False) -> Callable[[str], str]:
    def f(v: str) -> str:
        m = _YEAR_IN.search(v) if year else None
        out = f"<{entity} {m.group(0)}>" if m else f"<{entity}>"
        t = _TIME_AT_END.search(v) if time else None
        if t and not (m and t.start() <= m.start()):
            out += " " + t.group()
        return out

    return f
