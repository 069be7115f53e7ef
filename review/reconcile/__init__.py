"""Reconciliation and calibration (design.md §5): catch inconsistent scores before they are final.

Flags come from the rules in `review.flags`, run over the ratings in the database with the
cycle's thresholds (`flags`). Each item of a district waits in the district's `queue` until it
is decided (`decisions.decide`, one `Method` of four); a choice or a consensus is first a
proposal that every reviewing district confirms (`proposals`). Raw ratings are never changed
and nothing is ever averaged.

Only submitted peer ratings count (`review.peer_sets`): a reviewer's drafts are in no flag,
queue or statistic. Phases (`phases`): a peer reviewer of the district or a coordinator starts
its reconciliation explicitly, once every reviewing district has submitted its ratings; a
decision or proposal on a district still in peer review is refused. From then on peer ratings
and their sets are locked (`review.ratings` accepts them only during peer review), so a
decision can never rest on a rating that later changes. A coordinator finalizes a district
once every rated item is decided and no item of it is under calibration review
(`calibration`), and can reopen a final district with a reason. `practice` is the library of
practice decided at the top level.

The reads a page calls (`queue`, `finalization_blockers`, `calibration_view`,
`agreement_overview`, `practice_library`) take the actor and check it (`review.scope`);
`flags_for` and `decisions_of` are for the domain's own work and the operator's exports.
"""

from review.reconcile._network import EvidenceSummary, RatingView
from review.reconcile.calibration import (
    AgreementOverview,
    CalibrationRequest,
    DistrictCalibration,
    ItemAgreement,
    ItemCalibration,
    agreement_overview,
    calibration_requests,
    calibration_view,
    resolve_calibration,
    send_for_calibration,
)
from review.reconcile.decisions import (
    Decision,
    DecisionRequest,
    Method,
    confirm,
    decide,
    decisions_of,
)
from review.reconcile.discussion import discuss
from review.reconcile.flags import RULE_LABELS, flags_for, open_flags, thresholds
from review.reconcile.phases import (
    NotReady,
    finalization_blockers,
    finalize_district,
    reopen_district,
    start_reconciliation,
    what_it_locks,
)
from review.reconcile.practice import SIZE_BANDS, PeerNote, Practice, practice_library, size_band
from review.reconcile.proposals import STATUS_LABELS, Proposal, ProposalStatus
from review.reconcile.queue import QueueEntry, queue
from review.reconcile.status import (
    DECIDED,
    INCOMPLETE,
    NEEDS_CHOICE,
    NEEDS_CONFIRM,
    NEEDS_CONSENSUS,
    UNRATED,
)

__all__ = [
    "DECIDED",
    "INCOMPLETE",
    "NEEDS_CHOICE",
    "NEEDS_CONFIRM",
    "NEEDS_CONSENSUS",
    "RULE_LABELS",
    "SIZE_BANDS",
    "STATUS_LABELS",
    "UNRATED",
    "AgreementOverview",
    "CalibrationRequest",
    "Decision",
    "DecisionRequest",
    "DistrictCalibration",
    "EvidenceSummary",
    "ItemAgreement",
    "ItemCalibration",
    "Method",
    "NotReady",
    "PeerNote",
    "Practice",
    "Proposal",
    "ProposalStatus",
    "QueueEntry",
    "RatingView",
    "agreement_overview",
    "calibration_requests",
    "calibration_view",
    "confirm",
    "decide",
    "decisions_of",
    "discuss",
    "finalization_blockers",
    "finalize_district",
    "flags_for",
    "open_flags",
    "practice_library",
    "queue",
    "reopen_district",
    "resolve_calibration",
    "send_for_calibration",
    "size_band",
    "start_reconciliation",
    "thresholds",
    "what_it_locks",
]
