"""Tables for people: "–" where there is no value, never Streamlit's grey "None".

One rule for every table: a column with a gap is shown as text (each value as people write it,
"–" for the gap); a column without a gap keeps its type, so numbers still sort as numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

NO_VALUE = "–"


def cell(value: Any) -> str:
    """`value` as a table shows it: "–" for no value, a float without trailing zeros."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_VALUE
    return f"{value:g}" if isinstance(value, float) else str(value)


def listed(values: Iterable[str]) -> str:
    """Values as one cell, comma-separated: "–" when there are none (never a blank cell)."""
    return ", ".join(values) or NO_VALUE


def show(
    rows: pd.DataFrame | Sequence[Mapping[str, Any]],
    columns: Mapping[str, Any] | None = None,
    *,
    hide_index: bool = True,
    key: str | None = None,
) -> None:
    """`rows` (a frame, or one mapping per row) as a table the width of the page."""
    shown = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    for name in shown.columns:
        if shown[name].isna().any():
            shown[name] = [cell(v) for v in shown[name]]
    st.dataframe(
        shown,
        hide_index=hide_index,
        width="stretch",
        column_config=dict(columns) if columns else None,
        key=key,
    )
