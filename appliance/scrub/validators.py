"""Checksum validators for identifier recognizers (digits extracted from the match, separators ignored)."""

from __future__ import annotations

import re
from collections.abc import Callable

_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def luhn_ok(number: str) -> bool:
    d = _digits(number)
    if len(d) < 8:
        return False
    total = 0
    for i, ch in enumerate(reversed(d)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def card_ok(number: str) -> bool:
    d = _digits(number)
    return 12 <= len(d) <= 19 and luhn_ok(d) and len(set(d)) > 1


def iban_ok(value: str) -> bool:
    s = _NON_ALNUM.sub("", value).upper()
    if not (15 <= len(s) <= 34) or not s[:2].isalpha() or not s[2:4].isdigit():
        return False
    rearranged = s[4:] + s[:4]
    num = "".join(str(int(c, 36)) for c in rearranged)
    return int(num) % 97 == 1


def aba_ok(value: str) -> bool:
    d = _digits(value)
    if len(d) != 9:
        return False
    w = (3, 7, 1) * 3
    return sum(int(c) * k for c, k in zip(d, w, strict=True)) % 10 == 0


_VIN_MAP = {**{str(i): i for i in range(10)}, **dict(zip("ABCDEFGH", range(1, 9), strict=True))}
_VIN_MAP.update(dict(zip("JKLMNPR", (1, 2, 3, 4, 5, 7, 9), strict=True)))
_VIN_MAP.update(dict(zip("STUVWXYZ", range(2, 10), strict=True)))
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_ok(value: str) -> bool:
    s = _NON_ALNUM.sub("", value).upper()
    if len(s) != 17 or any(c in "IOQ" for c in s) or any(c not in _VIN_MAP for c in s):
        return False
    total = sum(_VIN_MAP[c] * w for c, w in zip(s, _VIN_WEIGHTS, strict=True))
    check = total % 11
    return s[8] == ("X" if check == 10 else str(check))


def npi_ok(value: str) -> bool:
    d = _digits(value)
    return len(d) == 10 and luhn_ok("80840" + d)


def ssn_ok(value: str) -> bool:
    d = _digits(value)
    if len(d) != 9 or len(set(d)) == 1:
        return False
    area, group, serial = d[:3], d[3:5], d[5:]
    return area not in ("000", "666") and group != "00" and serial != "0000"


def imei_ok(value: str) -> bool:
    d = _digits(value)
    return len(d) == 15 and luhn_ok(d)


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "luhn": card_ok,
    "iban": iban_ok,
    "aba_routing": aba_ok,
    "vin": vin_ok,
    "npi": npi_ok,
    "ssn": ssn_ok,
    "imei": imei_ok,
}
