"""Cycle setup > Index results: upload, preview what changes, then apply exactly that."""

import pandas as pd
from sqlalchemy import func, select

from review.audit import events
from review.db import Cycle, IndexResult
from review.index.store import load_results

COORDINATOR = "coordinator@core.example"


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _counts(db):
    with db.reading() as s:
        rows = s.scalar(select(func.count()).select_from(IndexResult))
        imports = s.scalar(select(Cycle.index_imports).where(Cycle.name == "2015-16"))
        imported = [e.after for e in events(s) if e.action == "import index results"]
    return rows, imports, imported


def _table(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _alv_corrected(db):
    """ALV's 2015-16 results with one value corrected and one row dropped."""
    frame = load_results(db, "2015-16")
    frame = frame.astype({c: str for c in frame.columns if c not in ("n", "value")})
    frame["designation"] = frame["designation"].replace("nan", "")
    alv = frame[(frame["district_id"] == "ALV") & (frame["year"] == "2015-16")].copy()
    alv.iloc[0, alv.columns.get_loc("value")] = 99.5 if alv.iloc[0]["value"] != 99.5 else 98.5
    return alv.iloc[:-1], len(alv)


def test_preview_then_apply_replaces_only_the_districts_and_years_of_the_file(app_as, demo_db):
    alv, stored = _alv_corrected(demo_db)
    before = _counts(demo_db)
    others = load_results(demo_db, "2015-16").query("district_id != 'ALV' or year != '2015-16'")
    at = app_as(COORDINATOR, "setup")
    at.file_uploader(key="index_file").set_value(("alv.csv", _csv(alv), "text/csv"))
    at.run()

    at.button(key="index_preview").click().run()

    assert not at.error and not at.exception
    preview = _table(at, "Added")
    assert preview.to_dict("records") == [
        {
            "District": "ALV",
            "Year": "2015-16",
            "Added": 0,
            "Changed": 1,
            "Removed": 1,
            "Unchanged": stored - 2,
        }
    ]
    assert _counts(demo_db) == before  # a preview changes nothing

    at.button(key="index_apply").click().run()

    assert not at.error and not at.exception
    rows, imports, imported = _counts(demo_db)
    assert (rows, imports) == (before[0] - 1, before[1] + 1)
    assert [(a["file"], a["added"], a["changed"], a["removed"]) for a in imported] == [
        ("alv.csv", 0, 1, 1)
    ]
    assert at.success[0].value.startswith("Imported alv.csv into cycle 2015-16: 0 row(s)")
    after = load_results(demo_db, "2015-16")
    kept = after.query("district_id != 'ALV' or year != '2015-16'").reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, others.reset_index(drop=True), check_categorical=False)


def test_a_file_with_problems_shows_the_first_and_offers_them_all(app_as, demo_db):
    alv, _ = _alv_corrected(demo_db)
    alv = alv.head(15).copy()
    alv["n"] = "many"
    before = _counts(demo_db)
    at = app_as(COORDINATOR, "setup")
    at.file_uploader(key="index_file").set_value(("bad.csv", _csv(alv), "text/csv"))
    at.run()

    at.button(key="index_preview").click().run()

    assert at.error[0].value == (
        "bad.csv: 15 problems, nothing was imported; the first: row 2, column n: 'many' is "
        "not a number"
    )
    shown = _table(at, "Problem")
    assert len(shown) == 10
    assert shown.iloc[0].to_dict() == {"Row": 2, "Column": "n", "Problem": "'many' is not a number"}
    downloads = at.get("download_button")
    assert len(downloads) == 1
    assert "Download all 15 problems (CSV)" in str(downloads[0].proto)
    assert not [b for b in at.button if b.key == "index_apply"]  # no preview, no Apply
    assert _counts(demo_db) == before
