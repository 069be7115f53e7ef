"""The demo tells a whole review: 2014-15 complete with frozen packets, 2015-16 in every phase,
texts and evidence of each district's own. Loaded by the `demo` command, as a user would."""

import hashlib
import io
import zipfile
from collections import Counter

import pytest
from sqlalchemy import func, select

from review import accounts, comments, cycles, packets, ratings, reconcile
from review.access import Phase
from review.cli import main
from review.db import AuditEvent, Database, District, Evidence, EvidenceLink, Rating, User
from review.demo import COORDINATOR_EMAIL, CYCLE, PREVIOUS_CYCLE, count_rows
from review.rubrics import Catalogue
from review.settings import Settings

CODES = ("ALV", "BHU", "CPU", "DCU", "ECU", "FHU")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('story') / 'demo.db'}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("REVIEW_DATABASE_URL", url)
        env.setenv("REVIEW_BCRYPT_ROUNDS", "4")
        assert main(["demo"]) == 0
        settings = Settings.from_env()
    db = Database(url)
    yield db, settings
    db.dispose()


def _ids(s):
    return dict(s.execute(select(District.code, District.id)).all())


def _coordinator(s):
    return accounts.actor_for(s.scalar(select(User).where(User.email == COORDINATOR_EMAIL)))


def test_every_2014_15_district_is_final_from_peer_ratings_and_decisions(demo):
    db, settings = demo
    with db.reading() as s:
        cycle = cycles.get_cycle(s, PREVIOUS_CYCLE)
        assert cycle.released  # the coordinator released the peer ratings after peer review
        rubric = cycles.cycle_rubric(Catalogue(settings.rubrics_dir), cycle)
        coordinator = _coordinator(s)
        methods: Counter[str] = Counter()
        for code, district_id in _ids(s).items():
            assert cycles.participation(s, cycle, district_id).phase == Phase.FINAL, code
            peer = [
                r for r in ratings.ratings_of(s, cycle, district_id) if r.source == ratings.PEER
            ]
            # Both other districts of the triad rated every item, and submitted their sets.
            assert len(peer) == 2 * len(rubric.items), code
            assert {r.status for r in peer} == {ratings.SUBMITTED}, code
            assert len({r.rater_district_id for r in peer}) == 2, code
            decisions = reconcile.decisions_of(s, cycle, district_id)
            assert sorted(d.item for d in decisions) == sorted(i.id for i in rubric.items), code
            methods.update(d.method for d in decisions)
            assert reconcile.open_flags(s, cycle, rubric, district_id) == [], code
            assert reconcile.finalization_blockers(s, coordinator, cycle, rubric, district_id) == []
        flagged = {(f.district, f.item, f.rule) for f in reconcile.flags_for(s, cycle, rubric)}
        settled = {
            (d.district, d.item, d.method)
            for district_id in _ids(s).values()
            for d in reconcile.decisions_of(s, cycle, district_id)
            if d.flags
        }
    # The planned disagreements were flagged and settled: two by consensus, one adjudicated.
    item = {i: rubric.items[i].id for i in (4, 7, 10)}
    assert {(d, i, "peer_disagreement") for d, i in [("ALV", item[7]), ("DCU", item[4])]} <= flagged
    assert ("FHU", item[10], "peer_disagreement") in flagged
    assert {("ALV", item[7], "consensus"), ("DCU", item[4], "adjudication")} <= settled
    assert ("FHU", item[10], "consensus") in settled
    assert set(methods) == {"agreement", "choice", "consensus", "adjudication"}
    assert sum(methods.values()) == 6 * len(rubric.items)


def test_each_final_district_has_a_frozen_packet_whose_bytes_match_its_checksum(demo):
    db, _ = demo
    with db.reading() as s:
        found = {}
        for name in (PREVIOUS_CYCLE, CYCLE):
            cycle = cycles.get_cycle(s, name)
            for code, district_id in _ids(s).items():
                for packet in packets.kept(s, cycle, district_id):
                    data = packets.stored_bytes(s, packet.sha256)
                    assert hashlib.sha256(data).hexdigest() == packet.sha256
                    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
                    assert f"{code}-{name}-packet.pdf" in names
                    found[(name, code)] = (packet.version, packet.file_name, packet.made_by)
        freezes = s.scalar(select(func.count()).where(AuditEvent.action == "freeze packet"))
    assert found == {
        **{
            (PREVIOUS_CYCLE, code): (
                1,
                f"{code}-{PREVIOUS_CYCLE}-packet-v1.zip",
                "Casey Coordinator (demo)",
            )
            for code in CODES
        },
        (CYCLE, "CPU"): (1, f"CPU-{CYCLE}-packet-v1.zip", "Casey Coordinator (demo)"),
    }
    assert freezes == 7


def test_2015_16_has_a_district_in_every_phase(demo):
    db, settings = demo
    with db.reading() as s:
        cycle = cycles.get_cycle(s, CYCLE)
        ids = _ids(s)
        phases = {code: cycles.participation(s, cycle, ids[code]).phase for code in CODES}
        rated = {
            code: Counter(r.source for r in ratings.ratings_of(s, cycle, ids[code]))
            for code in CODES
        }
        rubric = cycles.cycle_rubric(Catalogue(settings.rubrics_dir), cycle)
        queue = reconcile.queue(s, _coordinator(s), cycle, rubric, ids["ECU"])
        questions = [m for m in comments.messages_of(s, cycle, ids["ECU"]) if m.kind == "question"]
        answered = {m.parent_id for m in comments.messages_of(s, cycle, ids["ECU"])}
        cpu_thread = [(m.kind, m.item_id) for m in comments.messages_of(s, cycle, ids["CPU"])]
    n = len(rubric.items)
    assert phases == {
        "ALV": Phase.DRAFT,
        "BHU": Phase.DRAFT,
        "CPU": Phase.FINAL,
        "DCU": Phase.SELF_SUBMITTED,
        "ECU": Phase.RECONCILIATION,
        "FHU": Phase.PEER_REVIEW,
    }
    assert rated == {
        "ALV": Counter({ratings.SELF: n // 2}),  # a draft, half done
        "BHU": Counter(),  # not started
        "CPU": Counter({ratings.SELF: n, ratings.PEER: 2 * n}),
        "DCU": Counter({ratings.SELF: n}),
        "ECU": Counter({ratings.SELF: n, ratings.PEER: 2 * n}),
        "FHU": Counter({ratings.SELF: n, ratings.PEER: 2 * n}),
    }
    # Half way: the first half decided but for the disagreement, whose proposal waits.
    undecided = {e.item: e.proposal for e in queue if e.needs != reconcile.DECIDED}
    assert sorted(undecided) == sorted(
        [rubric.items[2].id, *(i.id for i in rubric.items[n // 2 :])]
    )
    proposal = undecided[rubric.items[2].id]
    assert proposal is not None
    assert (proposal.method, proposal.confirmed_by, proposal.waiting_for) == (
        "consensus",
        ("BHU",),
        ("DCU",),
    )
    assert [p for item, p in undecided.items() if item != rubric.items[2].id] == [None] * (
        n - n // 2
    )
    assert [(q.item_id, q.id in answered) for q in questions] == [(rubric.items[12].id, False)]
    assert cpu_thread[:2] == [("question", rubric.items[0].id), ("answer", rubric.items[0].id)]


def test_texts_differ_by_district_item_and_reviewer(demo):
    db, _ = demo
    with db.reading() as s:
        rows = s.execute(
            select(
                Rating.source,
                Rating.narrative,
                Rating.suggestions,
                Rating.cycle_id,
                Rating.district_id,
                Rating.item_id,
            )
        ).all()
    peer = [r for r in rows if r.source == ratings.PEER]
    # The two reviewers of one item suggest different things, not only under other names.
    bodies: dict[tuple[int, int, str], set[str]] = {}
    for r in peer:
        bodies.setdefault((r.cycle_id, r.district_id, r.item_id), set()).add(
            r.suggestions.split(" review: ", 1)[1]
        )
    assert {len(found) for found in bodies.values()} == {2}
    own = [r for r in rows if r.source == ratings.SELF]
    assert len({r.suggestions for r in peer}) == len(peer) > 100
    assert len({r.narrative for r in peer}) == len(peer)
    assert len({r.narrative for r in own}) == len(own) > 100
    assert all(r.narrative.startswith("[Synthetic demo text]") for r in rows)
    assert all(r.suggestions.startswith("[Synthetic demo text]") for r in peer)


def test_each_district_attaches_its_own_evidence(demo):
    db, _ = demo
    with db.reading() as s:
        cycle = cycles.get_cycle(s, CYCLE)
        rows = s.execute(
            select(District.code, Evidence.sha256, Evidence.file_name)
            .join(District, District.id == Evidence.district_id)
            .where(Evidence.cycle_id == cycle.id)
        ).all()
        linked = s.scalar(select(func.count()).select_from(EvidenceLink))
    by_district: dict[str, set[str]] = {}
    for code, sha, _ in rows:
        by_district.setdefault(code, set()).add(sha)
    assert sorted(by_district) == ["ALV", "CPU", "DCU", "ECU", "FHU"]  # BHU has not started
    codes = list(by_district)
    for n, a in enumerate(codes):
        for b in codes[n + 1 :]:
            assert not by_district[a] & by_district[b], (a, b)
    assert {name for code, _, name in rows if code == "CPU"} >= {"pairing_roster.csv"}
    assert {name for code, _, name in rows if code == "ALV"} == {
        f"alv-{CYCLE}-stakeholder-meetings.csv",
        f"alv-{CYCLE}-survey-participation.csv",
        f"alv-{CYCLE}-improvement-notes.txt",
    }
    assert linked > 0


def test_the_audit_trail_reads_as_the_demo_accounts_did_it(demo):
    db, _ = demo
    with db.reading() as s:
        by = dict(s.execute(select(User.id, User.email)).all())
        events = s.execute(select(AuditEvent.action, AuditEvent.user_id)).all()
    who = Counter((action, by.get(user)) for action, user in events)
    assert who[("finalize district", COORDINATOR_EMAIL)] == 7
    assert (
        who[("start reconciliation", "lead@alv.example")] == 3
    )  # CPU and FHU in 2014-15, CPU in 2015-16
    assert who[("submit self-evaluation", "lead@cpu.example")] == 2
    assert sum(n for (action, _), n in who.items() if action == "confirm proposal") > 0


def test_loading_the_demo_again_changes_nothing(demo, monkeypatch):
    db, _ = demo
    with db.reading() as s:
        before = count_rows(s)
    monkeypatch.setenv("REVIEW_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("REVIEW_BCRYPT_ROUNDS", "4")
    assert main(["demo"]) == 0
    with db.reading() as s:
        assert count_rows(s) == before
