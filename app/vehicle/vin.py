"""VIN validation (ISO 3779): 17 characters without I, O and Q.

The check digit (position 9) is mandatory only for vehicles built for North America (a WMI
starting 1-5), so it is verified only there; European VINs use position 9 freely.
"""

from __future__ import annotations

import re

VIN_PATTERN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")

_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def normalize_vin(value: str) -> str:
    return value.strip().upper()


def check_digit(vin: str) -> str:
    total = sum(_TRANSLITERATION[c] * w for c, w in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_problem(vin: str) -> str | None:
    """The reason ``vin`` is not a valid VIN, or None when it is."""
    if len(vin) != 17:
        return f"a VIN has 17 characters, this one has {len(vin)}"
    if not VIN_PATTERN.match(vin):
        bad = sorted({c for c in vin if not re.match(r"[A-HJ-NPR-Z0-9]", c)})
        return f"a VIN uses digits and capital letters except I, O and Q; found {''.join(bad)!r}"
    if vin[0] in "12345" and vin[8] != check_digit(vin):
        return (
            f"check digit (9th character) is {vin[8]!r} but should be {check_digit(vin)!r} "
            "for a North-American VIN"
        )
    return None
