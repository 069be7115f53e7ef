"""Turning computed floats into the exact numbers people read."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import numpy.typing as npt


def median_decimal(levels: npt.NDArray[np.number]) -> Decimal | None:
    """Median of levels (whole numbers, so it ends in .0 or .5), or None for no levels."""
    if len(levels) == 0:
        return None
    median = float(np.median(levels))
    return Decimal(int(round(median * 2))) / 2


def hundredths(values: npt.NDArray[np.float64]) -> list[Decimal | None]:
    """Each value rounded half up to hundredths, None for NaN."""
    # The tiny nudge keeps 13.335 stored as 13.33499999... rounding up as written.
    scaled = np.floor(values * 100 + 0.5 + 1e-7)
    return [None if np.isnan(v) else Decimal(int(v)).scaleb(-2) for v in scaled.tolist()]
