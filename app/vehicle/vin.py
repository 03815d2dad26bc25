"""Vehicle identification numbers (ISO 3779): alphabet, check digit, model-year codes, validation.

17 characters without I, O and Q. The check digit (position 9) is mandatory only for vehicles
built for North America (a WMI starting 1-5), so it is verified only there; European VINs use
position 9 freely.
"""

from __future__ import annotations

import re

# Every character a VIN may hold: digits and capital letters without I, O and Q.
VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
VIN_PATTERN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")

_TRANSLITERATION = {
    **{str(digit): digit for digit in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
# Position 10: 2010-2030 are letters (no I, O, Q, U, Z, 0), 2031-2039 digits (as 2001-2009),
# then the 30-year cycle repeats.
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"


def normalize_vin(value: str) -> str:
    return value.strip().upper()


def vin_weighted_sum(chars: str) -> int:
    """The weighted sum behind the check digit, over the 16 positions other than the 9th."""
    if len(chars) != 16:
        raise ValueError(f"expected the 16 characters around position 9, got {len(chars)}")
    weights = _WEIGHTS[:8] + _WEIGHTS[9:]
    return sum(_TRANSLITERATION[char] * weight for char, weight in zip(chars, weights, strict=True))


def check_digit(vin: str) -> str:
    """The ISO 3779 / 49 CFR 565 check digit (position 9) for a 17-character VIN.

    The character at position 9 itself is ignored (its weight is 0).
    """
    if len(vin) != 17:
        raise ValueError(f"a VIN has 17 characters, got {len(vin)}")
    remainder = vin_weighted_sum(vin[:8] + vin[9:]) % 11
    return "X" if remainder == 10 else str(remainder)


def is_north_american(vin: str) -> bool:
    """World manufacturer identifiers starting 1-5 are assigned to North America, where the
    check digit is mandatory."""
    return vin[:1] in "12345"


def model_year_code(year: int) -> str:
    """The position-10 code of a model year (2010 -> ``A``, 2024 -> ``R``, 2001 -> ``1``)."""
    return _YEAR_CODES[(year - 2010) % 30]


def vin_problem(vin: str) -> str | None:
    """The reason ``vin`` is not a valid VIN, or None when it is."""
    if len(vin) != 17:
        return f"a VIN has 17 characters, this one has {len(vin)}"
    if not VIN_PATTERN.match(vin):
        bad = sorted({c for c in vin if c not in VIN_ALPHABET})
        return f"a VIN uses digits and capital letters except I, O and Q; found {''.join(bad)!r}"
    if is_north_american(vin) and vin[8] != check_digit(vin):
        return (
            f"check digit (9th character) is {vin[8]!r} but should be {check_digit(vin)!r} "
            "for a North-American VIN"
        )
    return None
