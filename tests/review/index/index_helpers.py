"""Helpers for index tests: the shipped specs, and frames of results built row by row."""

from __future__ import annotations

from typing import Any

import pandas as pd

from review.index.catalogue import SpecCatalogue
from review.index.importer import check_results
from review.index.spec import IndexSpec
from review.settings import PROJECT_ROOT

SPECS = PROJECT_ROOT / "index_specs"
HEADER = "school_id,school_name,district_id,school_type,year,metric,group,n,value"


def shipped(key: str) -> IndexSpec:
    return SpecCatalogue(SPECS).get_key(key)


def spec_with(base: IndexSpec, **changes: Any) -> IndexSpec:
    """A copy of `base` with top-level fields replaced (validated like a file)."""
    return IndexSpec.model_validate({**base.model_dump(), **changes})


def metric_with(spec: IndexSpec, metric_id: str, **changes: Any) -> IndexSpec:
    """A copy of `spec` with one metric's fields replaced."""
    metrics = [
        {**m.model_dump(), **changes} if m.id == metric_id else m.model_dump() for m in spec.metrics
    ]
    return spec_with(spec, metrics=metrics)


def result_row(metric: str, value: float, *, group: str = "all", n: int = 100, **other: Any):
    row = {
        "school_id": "S1",
        "school_name": "One Elementary",
        "district_id": "D1",
        "school_type": "elementary",
        "year": "2015-16",
        "metric": metric,
        "group": group,
        "n": n,
        "value": value,
    }
    row.update(other)
    return row


def frame_of(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return check_results(pd.DataFrame(rows))
