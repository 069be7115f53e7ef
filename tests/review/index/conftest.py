"""Index fixtures: the shipped specs."""

from __future__ import annotations

import pytest
from index_helpers import shipped

from review.index.spec import IndexSpec


@pytest.fixture
def spec_2015() -> IndexSpec:
    return shipped("core-sqii@2015-16")


@pytest.fixture
def spec_2016() -> IndexSpec:
    return shipped("core-sqii@2016-17")
