"""Keep the packet of every final district that has none yet (the demo's last step)."""

from __future__ import annotations

from sqlalchemy import select

from exports.packet import freeze
from review.access import Actor, Phase
from review.cycles import participants
from review.db import Cycle, Database
from review.index.district import district_summaries
from review.packets import Packet
from review.rubric_store import StoredRubrics
from review.rubrics import Catalogue
from review.settings import Settings


def freeze_finals(db: Database, settings: Settings, actor: Actor | None) -> list[Packet]:
    """The kept packet of each final district of every cycle, built now where it is missing
    (each in its own unit of work, as after a finalization in the app)."""
    catalogue = Catalogue(settings.rubrics_dir, StoredRubrics(db))
    with db.reading() as s:
        cycles = list(s.scalars(select(Cycle).order_by(Cycle.name)))
        finals = {
            c.name: [d.code for d, part in participants(s, c) if part.phase == Phase.FINAL]
            for c in cycles
        }
    kept = []
    for cycle in cycles:
        codes = finals[cycle.name]
        summaries = district_summaries(db, settings.index_specs_dir, cycle, codes, details=False)
        for code in codes:
            packet = freeze(
                db,
                catalogue,
                cycle_name=cycle.name,
                district_code=code,
                index=summaries[code],
                actor=actor,
            )
            assert packet is not None  # final when read above, and nothing reopens it here
            kept.append(packet)
    return kept
