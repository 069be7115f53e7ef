"""A district's reconciliation queue: every item with its ratings, spread and status, flagged
items first, and the picker that opens one of them."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from review import reconcile
from review.reconcile import Decision, QueueEntry, RatingView
from ui.components import item_picker
from ui.components import table as table_view
from ui.components.descriptors import short_level

NEEDS = {
    reconcile.NEEDS_CONFIRM: "peers agree: confirm",
    reconcile.NEEDS_CHOICE: "close: choose a level",
    reconcile.NEEDS_CONSENSUS: "needs consensus",
    reconcile.DECIDED: "decided",
    reconcile.INCOMPLETE: "waiting for ratings",
    reconcile.UNRATED: "optional, not rated",
}

# Fits 1400 px beside the sidebar: the item stays, the title gives way to the status.
COLUMNS = {
    "Item": st.column_config.TextColumn(width=135, pinned=True),
    "Title": st.column_config.TextColumn(width=190),
    "Flags": st.column_config.TextColumn(width=130),
    "Self": st.column_config.TextColumn(width=45),
    "Peers": st.column_config.TextColumn(width=105),
    "Spread": st.column_config.TextColumn(width=55),
    "Status": st.column_config.TextColumn(width=195),
    "Final": st.column_config.TextColumn(width=55),
}


def rated(rating: RatingView) -> str:
    return short_level(rating.level, rating.not_applicable)


def final(decision: Decision | None) -> str:
    if decision is None:
        return table_view.NO_VALUE
    return short_level(decision.level, decision.not_applicable)


def status(entry: QueueEntry) -> str:
    """The item's status in words; a pending proposal says whose confirmation it waits for."""
    proposal = entry.proposal
    if entry.decision is None and proposal is not None:
        if proposal.status == reconcile.ProposalStatus.SENT_TO_COORDINATOR:
            return "proposal sent to a coordinator"
        if proposal.status == reconcile.ProposalStatus.PROPOSED:
            return f"waiting for {', '.join(proposal.waiting_for)} to confirm"
    return NEEDS[entry.needs]


def show(entries: Sequence[QueueEntry], code: str) -> None:
    """The queue as a table."""
    st.subheader("Queue")
    st.caption("Flagged items first, then the widest spread between peer levels.")
    table_view.show(
        [
            {
                "Item": e.item,
                "Title": e.title,
                "Flags": table_view.listed(
                    reconcile.RULE_LABELS.get(f.rule, f.rule) for f in e.flags
                ),
                "Self": short_level(e.self_level),
                "Peers": table_view.listed(f"{r.rater} {rated(r)}" for r in e.peer_ratings),
                "Spread": table_view.cell(e.spread),
                "Status": status(e),
                "Final": final(e.decision),
            }
            for e in entries
        ],
        COLUMNS,
        key=f"recon_queue_{code}",
    )


def pick(entries: Sequence[QueueEntry], code: str) -> QueueEntry:
    """The item chosen to settle, flagged items first as in the queue."""
    by_item = {e.item: e for e in entries}
    item_id = item_picker.choose(
        "Item",
        list(by_item),
        key=f"recon_item_{code}",
        # The label must not change with the item's status: in the browser a status icon here
        # kept showing the old status after a decision. The queue table above shows the status.
        format_func=lambda i: f"{i} · {by_item[i].title}",
    )
    return by_item[item_id]
