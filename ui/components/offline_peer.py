"""Work offline on the Rate a district page: the reviewer's ratings of one district as a workbook.

The same download, upload, preview and Apply as the self-evaluation's (`offline_workbook`);
applied items are saved as draft peer ratings, submitted with the set as on the page.
"""

from __future__ import annotations

from review.access import Actor, Phase
from review.db import Cycle, District
from review.offline import peer
from review.offline.workbook import PEER_RATING
from review.rubrics import Rubric
from ui.components.offline_workbook import Offline, offer

_OPEN = (Phase.SELF_SUBMITTED, Phase.PEER_REVIEW)


def kind(code: str) -> Offline:
    """The peer-ratings workbook of district `code`: its keys name the district, so another
    district's prepared workbook or preview is never shown for this one."""
    return Offline(
        layout=PEER_RATING,
        export=peer.export_workbook,
        preview=peer.preview_import,
        apply=peer.apply_import,
        widgets=f"peer_offline_{code}",
        state=f"offline_peer_{code}",
        caption=(
            "The workbook lists every item with its descriptors, the district's own level and "
            "narrative, and your district's level, rationale and suggestions to fill in. "
            "Upload it when it is filled in: you will see what changes before anything is "
            "saved; items are saved as drafts (submit them here as usual), and an item someone "
            "saved since your download is not overwritten."
        ),
        form_keys=lambda item_id: tuple(
            f"peer_{field}_{code}_{item_id}"
            for field in ("version", "level", "rationale", "suggestions")
        ),
    )


def show(actor: Actor, cycle: Cycle, rubric: Rubric, district: District, phase: Phase) -> None:
    """The download, and (while the district is open for peer rating) upload and Apply."""
    offer(kind(district.code), actor, cycle, rubric, district.id, editable=phase in _OPEN)
