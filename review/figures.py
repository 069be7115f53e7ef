"""Numbers as people read them, the same in the app, the packet (PDF and workbook) and the
command line: one precision per kind of figure, one way of writing it.

A figure carries its precision as a `Decimal`'s exponent (`level(5)` is 5.0, `score(23.5)` is
23.50), so a renderer that receives it writes it without knowing its kind, and the workbook
gives its cell the matching number format.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# Medians and gaps of levels end in .0 or .5; rates per 1,000 students are read to a tenth.
LEVEL = Decimal("0.1")
RATE = Decimal("0.1")
# Points and scores are computed in hundredths (review.index._numbers.hundredths).
SCORE = Decimal("0.01")


def level(value: Decimal | None) -> Decimal | None:
    """A median level or a gap in levels, to one decimal (5.0, 5.5, -1.5)."""
    return _to(value, LEVEL)


def score(value: Decimal | None) -> Decimal | None:
    """Points or an overall score, to two decimals (23.50, 28.58)."""
    return _to(value, SCORE)


def per_thousand(count: int | None, enrollment: int) -> Decimal | None:
    """A count per 1,000 students, to one decimal rounded half up; None when there is no count
    or no enrollment to divide by."""
    if count is None or enrollment <= 0:
        return None
    return _to(Decimal(count) * 1000 / enrollment, RATE)


def written(value: int | Decimal) -> str:
    """A figure as text: whole numbers with thousands separators (73,500), decimals at their
    own precision (5.0, 23.50, 1,234.5)."""
    if isinstance(value, Decimal):
        return f"{value:,f}"
    return f"{value:,}"


def number_format(value: int | Decimal) -> str:
    """The workbook's number format that shows a figure as `written` does."""
    places = max(0, -int(value.as_tuple().exponent)) if isinstance(value, Decimal) else 0
    return "#,##0" + ("." + "0" * places if places else "")


def _to(value: Decimal | None, step: Decimal) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(step, ROUND_HALF_UP)
