"""The Self-evaluation page's evidence: upload, unlink, describe, replace, remove, inert text."""

import hashlib

from sqlalchemy import select

from review import cycles, evidence
from review.access import Phase
from review.db import Blob, Evidence, EvidenceLink
from review.demo import CYCLE
from review.rubrics import Catalogue
from review.settings import Settings
from ui.markup import inert

PDF = b"%PDF-1.4\n%synthetic agenda\n"
SIGNED = b"%PDF-1.4\n%the signed agenda\n"
HOSTILE = "![x](http://example.invalid/a.png) <img src=http://example.invalid/b.png> **bold**"
LEAD = "lead@alv.example"


def _lead(demo_db):
    from review import accounts
    from review.db import User

    with demo_db.reading() as s:
        return accounts.actor_for(s.scalar(select(User).where(User.email == LEAD)))


def _add(demo_db, item, *, data=PDF, name="forum agenda.pdf", description="Forum agenda"):
    lead = _lead(demo_db)
    settings = Settings.from_env({})
    with demo_db.session() as s:
        cycle = cycles.get_cycle(s, CYCLE)
        rubric = cycles.cycle_rubric(Catalogue(settings.rubrics_dir), cycle)
        return evidence.add_evidence(
            s,
            settings,
            lead,
            cycle,
            rubric,
            district_id=lead.district_id,
            file_name=name,
            data=data,
            description=description,
            items=(item,) if item else (),
        )


def _row(demo_db, evidence_id):
    with demo_db.reading() as s:
        row = s.get(Evidence, evidence_id)
        if row is None:
            return None
        links = tuple(
            s.scalars(
                select(EvidenceLink.item_id)
                .where(EvidenceLink.evidence_id == evidence_id)
                .order_by(EvidenceLink.item_id)
            )
        )
        return row.file_name, row.description, row.sha256, links, row.row_version


def _page(app_as):
    at = app_as(LEAD, "self_evaluation")
    return at, at.selectbox(key="self_item").value


def test_upload_clears_the_uploader_and_a_new_description_replaces_the_old(app_as, demo_db):
    at, item = _page(app_as)
    at.file_uploader(key=f"upload_{item}_0").set_value(("agenda.pdf", PDF, "application/pdf"))
    at.run()
    at.text_input(key=f"upload_description_{item}_0").input("Draft agenda")
    at.button(key=f"upload_button_{item}").click().run()
    assert [s.value for s in at.success] == [f"Uploaded agenda.pdf and linked it to {item}."]
    assert at.session_state["evidence_round"] == 1
    assert [u.key for u in at.file_uploader if u.key.startswith("upload_")] == [f"upload_{item}_1"]
    assert at.file_uploader(key=f"upload_{item}_1").value is None
    assert at.text_input(key=f"upload_description_{item}_1").value == ""

    at.file_uploader(key=f"upload_{item}_1").set_value(("agenda.pdf", PDF, "application/pdf"))
    at.run()
    at.text_input(key=f"upload_description_{item}_1").input("Final agenda, as sent")
    at.button(key=f"upload_button_{item}").click().run()
    with demo_db.reading() as s:
        rows = s.execute(
            select(Evidence.file_name, Evidence.description).where(
                Evidence.sha256 == hashlib.sha256(PDF).hexdigest()
            )
        ).all()
    assert [tuple(r) for r in rows] == [("agenda.pdf", "Final agenda, as sent")]


def test_each_linked_file_says_which_items_it_is_linked_to(app_as, demo_db):
    at, item = _page(app_as)
    added = _add(demo_db, item)
    at.run()
    assert f"forum agenda.pdf is linked to {item}." in [c.value for c in at.caption]
    listed = [t.value for t in at.text if t.value.startswith("forum agenda.pdf")]
    assert listed == [f"forum agenda.pdf · linked to {item}"]
    assert added.items == (item,)


def test_unlink_then_remove_a_file(app_as, demo_db):
    at, item = _page(app_as)
    added = _add(demo_db, item)
    at.run()
    assert not [b for b in at.button if b.key == f"ev_remove_{added.id}"]  # still linked
    at.button(key=f"ev_unlink_{item}_{added.id}").click().run()
    assert [s.value for s in at.success] == [f"Unlinked forum agenda.pdf from {item}."]
    assert _row(demo_db, added.id)[3] == ()
    assert [t.value for t in at.text if t.value.startswith("forum agenda.pdf")] == [
        "forum agenda.pdf · linked to no item"
    ]

    at.button(key=f"ev_remove_{added.id}").click().run()
    assert [s.value for s in at.success] == ["Removed forum agenda.pdf; nothing links it any more."]
    assert _row(demo_db, added.id) is None
    with demo_db.reading() as s:
        assert s.get(Blob, hashlib.sha256(PDF).hexdigest()).data == PDF


def test_edit_description(app_as, demo_db):
    at, item = _page(app_as)
    added = _add(demo_db, item)
    at.run()
    at.text_area(key=f"ev_description_{added.id}_{added.row_version}").input("Agenda, 12 Jan")
    at.button(key=f"ev_describe_{added.id}").click().run()
    assert [s.value for s in at.success] == ["Saved the description of forum agenda.pdf."]
    assert _row(demo_db, added.id)[1:2] == ("Agenda, 12 Jan",)
    # The editor now holds the saved text under the file's new version.
    assert at.text_area(key=f"ev_description_{added.id}_{added.row_version + 1}").value == (
        "Agenda, 12 Jan"
    )


def test_replace_keeps_links_and_description_and_clears_the_uploader(app_as, demo_db):
    at, item = _page(app_as)
    added = _add(demo_db, item)
    at.run()
    at.file_uploader(key=f"ev_replace_upload_{added.id}_0").set_value(
        ("agenda signed.pdf", SIGNED, "application/pdf")
    )
    at.run()
    at.button(key=f"ev_replace_{added.id}").click().run()
    assert [s.value for s in at.success] == ["Replaced forum agenda.pdf with agenda signed.pdf."]
    assert _row(demo_db, added.id) == (
        "agenda signed.pdf",
        "Forum agenda",
        hashlib.sha256(SIGNED).hexdigest(),
        (item,),
        added.row_version + 1,
    )
    assert at.file_uploader(key=f"ev_replace_upload_{added.id}_1").value is None


def test_unlink_after_a_colleague_changed_the_file_is_refused(app_as, demo_db):
    at, item = _page(app_as)
    added = _add(demo_db, item)
    at.run()
    colleague, _ = _page(app_as)
    colleague.text_area(key=f"ev_description_{added.id}_{added.row_version}").input("Theirs")
    colleague.button(key=f"ev_describe_{added.id}").click().run()

    at.button(key=f"ev_unlink_{item}_{added.id}").click().run()
    assert [e.value for e in at.error] == [
        inert(
            "forum agenda.pdf: someone changed this file after you opened it (version "
            f"{added.row_version + 1}, you started from {added.row_version}); nothing was "
            "changed. The page now shows their version: make your change again if it is still "
            "needed."
        )
    ]
    assert _row(demo_db, added.id)[1:4] == ("Theirs", hashlib.sha256(PDF).hexdigest(), (item,))
    at.button(key=f"ev_unlink_{item}_{added.id}").click().run()  # now from what it showed
    assert _row(demo_db, added.id)[3] == ()


def test_a_final_districts_files_have_no_actions(app_as, demo_db):
    at, item = _page(app_as)
    added = _add(demo_db, item)
    with demo_db.session() as s:
        part = cycles.participation(s, cycles.get_cycle(s, CYCLE), _lead(demo_db).district_id)
        cycles.set_phase(s, None, part, Phase.FINAL)
    at.run()
    keys = {b.key for b in at.button}
    assert not {k for k in keys if k.startswith(("ev_", "upload_button_"))}
    assert f"forum agenda.pdf is linked to {item}." in [c.value for c in at.caption]
    assert added.id


def test_a_description_with_markup_is_shown_as_written(app_as, demo_db):
    at, item = _page(app_as)
    added = _add(demo_db, item, description=HOSTILE)
    at.session_state[f"evidence_self_{added.id}"] = True
    at.run()
    # On its own, a description is plain text (`st.text`): nothing in it is Markdown.
    assert [t.value for t in at.text if "example.invalid" in t.value] == [HOSTILE, HOSTILE]
    assert not [m.value for m in (*at.markdown, *at.caption) if "example.invalid" in m.value]
