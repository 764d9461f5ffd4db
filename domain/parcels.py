"""Sizes and weights of what ships: a line's units, a package, the order as a whole.

Metric throughout: grams and centimetres. Carriers bill the larger of the physical weight and the
dimensional (volumetric) weight, which is the room a parcel takes divided by a stated divisor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain.errors import DomainError, invalid_input

#: Dimensional (volumetric) weight in kilograms is length x width x height in cm divided by this
#: (the divisor most express carriers use for international parcels: 1 kg for every 5000 cm3).
DIM_DIVISOR_CM3_PER_KG = 5000
#: The heaviest thing a line's unit or a package may weigh here (a pallet is freight, not a parcel).
MAX_GRAMS = 1_000_000
#: The longest side a unit or a package may have, in centimetres.
MAX_CM = Decimal(400)

_HS_CODE = re.compile(r"^\d{6}(\d{2}){0,2}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Dimensions:
    """Length, width and height in centimetres."""

    length: Decimal
    width: Decimal
    height: Decimal

    @property
    def volume(self) -> Decimal:
        return self.length * self.width * self.height


def dimensional_grams(dimensions: Dimensions) -> int:
    """The weight a carrier bills for this much room: volume (cm3) / 5000 per kg, in whole grams, rounded up."""
    grams = dimensions.volume * 1000 / DIM_DIVISOR_CM3_PER_KG
    return int(-(-grams // 1))


def check_grams(grams: int | None, field: str, *, allow_zero: bool = False) -> DomainError | None:
    """A weight is a whole number of grams, positive (or zero where allowed), at most a tonne."""
    if grams is None:
        return None
    if grams < (0 if allow_zero else 1) or grams > MAX_GRAMS:
        low = 0 if allow_zero else 1
        return invalid_input(field, f"a weight is {low} to {MAX_GRAMS} grams")
    return None


def clean_dimensions(length: str | Decimal, width: str | Decimal, height: str | Decimal,
                     field: str) -> Dimensions | DomainError:
    """Each side is a positive number of centimetres with at most one decimal, at most 400."""
    sides = []
    for name, value in (("length", length), ("width", width), ("height", height)):
        try:
            side = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            return invalid_input(f"{field}.{name}", f"{str(value)[:20]!r} is not a number of centimetres")
        if not side.is_finite() or side <= 0 or side > MAX_CM or side != side.quantize(Decimal("0.1")):
            return invalid_input(f"{field}.{name}", f"a side is more than 0 and at most {MAX_CM} cm, "
                                 "with at most one decimal")
        sides.append(side.quantize(Decimal("0.1")))
    return Dimensions(*sides)


def clean_hs_code(value: str | None, field: str) -> str | None | DomainError:
    """An HS code: the 6 digits of the Harmonized System, or a country's 8- or 10-digit extension of them.
    Dots and spaces are dropped ("6109.10" is 610910)."""
    if value is None:
        return None
    digits = re.sub(r"[.\s]", "", value)
    if not digits:
        return None
    if not _HS_CODE.match(digits):
        return invalid_input(field, "an HS code is 6, 8 or 10 digits (dots and spaces allowed)")
    return digits


def clean_country(value: str | None, field: str) -> str | None | DomainError:
    """A country is its ISO 3166-1 alpha-2 code, case folded."""
    if value is None or not value.strip():
        return None
    country = value.strip().upper()
    if not _COUNTRY.match(country):
        return invalid_input(field, "a country is an ISO 3166-1 alpha-2 code such as \"US\"")
    return country


@dataclass(frozen=True)
class EstimatedWeight:
    """What the order's units weigh: physically, dimensionally, and the larger, which carriers bill."""

    physical_grams: int
    dimensional_grams: int
    #: Lines that gave no weight (their units count as nothing: the estimate is low).
    lines_without_weight: int

    @property
    def grams(self) -> int:
        return max(self.physical_grams, self.dimensional_grams)

    @property
    def complete(self) -> bool:
        return self.lines_without_weight == 0
