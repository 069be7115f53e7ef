"""Cycle setup, the triads: who reviews whom in the cycle, and a way to change them."""

from __future__ import annotations

from review import cycles
from review.access import Actor
from review.db import Cycle
from ui import context
from ui.components import triads as triad_table
from ui.components import triads_import


def show(actor: Actor, cycle: Cycle) -> None:
    """The Triads tab: the cycle's triads, then a preview-and-apply import that replaces them."""
    with context.database().reading() as s:
        members = cycles.triads(s, actor, cycle)
    triad_table.show(members, cycle.name)
    triads_import.show(actor, cycle)
