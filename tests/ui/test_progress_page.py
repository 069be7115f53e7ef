"""The Progress page on a copy of the demo network: every figure, and a table that fits 1400 px."""

import json

# The main column beside the sidebar at 1400 px, as measured in Chromium (issue 13, item 8).
MAIN_WIDTH_AT_1400 = 936
DRAFT_LATE = "Self-evaluation in draft was due 2016-02-15; Peer review was due 2016-04-15"
PEER_LATE = "Peer review was due 2016-04-15"


def test_progress_lists_every_district_with_its_figures(app_as):
    at = app_as("coordinator@core.example", "progress")
    rows = at.dataframe[0].value
    assert list(rows.columns) == [
        "District",
        "Overdue",
        "Phase",
        "Self-evaluation",
        "Need evidence",
        "Open flags",
        "Peer ratings",
    ]
    assert rows.values.tolist() == [
        ["ALV · Alder Valley Unified", DRAFT_LATE, "Self-evaluation in draft", 50, 0, 0,
         "CPU 0%, FHU 0%"],
        ["BHU · Birch Harbor Unified", DRAFT_LATE, "Self-evaluation in draft", 0, 15, 0,
         "DCU 0%, ECU 0%"],
        ["CPU · Cedar Plains Unified", "–", "Final", 100, 0, 0, "ALV 100%, FHU 100%"],
        ["DCU · Dunmore City Unified", PEER_LATE, "Self-evaluation submitted", 100, 0, 0,
         "BHU 0%, ECU 0%"],
        ["ECU · Elm Creek Unified", "–", "Reconciliation", 100, 0, 4,
         "BHU 100%, DCU 100%"],
        ["FHU · Fairhaven Unified", PEER_LATE, "Peer review", 100, 0, 2,
         "ALV 100%, CPU 100%"],
    ]  # fmt: skip


def test_progress_columns_fit_beside_the_sidebar_at_1400_px_with_the_district_pinned(app_as):
    at = app_as("coordinator@core.example", "progress")
    table = at.dataframe[0].proto
    columns = {k: v for k, v in json.loads(table.columns).items() if k != "_index"}
    assert {name: (c.get("label", name), c["width"]) for name, c in columns.items()} == {
        "District": ("District", 170),
        "Overdue": ("Overdue", 250),
        "Phase": ("Phase", 140),
        "Self-evaluation": ("Self", 90),
        "Need evidence": ("No evidence", 85),
        "Open flags": ("Flags", 50),
        "Peer ratings": ("Peers", 145),
    }
    assert sum(c["width"] for c in columns.values()) <= MAIN_WIDTH_AT_1400
    assert [name for name, c in columns.items() if c.get("pinned")] == ["District"]
    # Taller than 4rem (64 px), so Streamlit wraps a long Overdue onto a second line.
    assert table.row_height == 66
