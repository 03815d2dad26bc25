"""Vehicle identification numbers (ISO 3779): alphabet, model-year codes and the check digit."""

from __future__ import annotations

# Every character a VIN may hold: digits and capital letters without I, O and Q.
VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"

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


def with_check_digit(vin: str) -> str:
    """The VIN with its position 9 replaced by the correct check digit."""
    return vin[:8] + check_digit(vin) + vin[9:]
