"""Names and addresses people type are shown as written: never as Markdown or HTML."""

from sqlalchemy import select

from review import accounts, cycles
from review.db import User
from ui.markup import inert

HOSTILE = "Cedar ![x](http://example.invalid/a.png) <b>Plains</b> **Unified**"


def _rename_fhu(demo_db):
    with demo_db.session() as s:
        coordinator = accounts.actor_for(
            s.scalar(select(User).where(User.email == "coordinator@core.example"))
        )
        # FHU: the demo's district in peer review, late on the coordinator's list.
        fhu = cycles.get_district(s, "FHU")
        cycles.save_district(s, coordinator, code="FHU", name=HOSTILE, enrollment=fhu.enrollment)


def test_a_district_name_with_markup_is_escaped_on_my_work_and_rate_a_district(app_as, demo_db):
    _rename_fhu(demo_db)
    home = app_as("coordinator@core.example")  # My work's to-do list names the district
    assert f"{inert(HOSTILE)} is late: Peer review was due 2016-04-15" in [
        link.proto.label for link in home.get("page_link")
    ]
    at = app_as("lead@alv.example", "peer_review")
    at.selectbox(key="peer_district").set_value("FHU").run()
    assert [h.value for h in at.subheader if "Cedar" in h.value] == [
        r"Cedar !\[x\](http://example.invalid/a.png) \<b\>Plains\</b\> \*\*Unified\*\*'s "
        "self-evaluation",
        r"Submit my ratings of Cedar !\[x\](http://example.invalid/a.png) \<b\>Plains\</b\> "
        r"\*\*Unified\*\*",
    ]


def test_a_district_asked_for_in_the_address_is_escaped(app_as):
    at = app_as("lead@alv.example")
    at.query_params["district"] = "![x](http://example.invalid/a.png)"
    at.switch_page("ui/pages/peer_review.py").run()
    assert at.error[0].value == (
        r"You are not assigned to review district !\[x\](http://example.invalid/a.png) in cycle "
        "2015-16. Choose one of your assigned districts below."
    )
