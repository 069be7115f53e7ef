"""Coordinators: cycles, districts, triads (typed or uploaded) and user accounts."""

import streamlit as st
from sqlalchemy.orm import Session

from review import accounts, cycles, roster
from review.access import DEADLINE_LABELS, ROLE_LABELS, Actor, Phase, Role
from review.db import Cycle
from review.index.counts import district_figures, shown
from ui import context, state
from ui.components import index_import, triads_import
from ui.components import triads as triad_table
from ui.guard import act, shown_errors
from ui.markup import inert

DISTRICTS_PREVIEW = "districts_preview"


def render() -> None:
    actor = state.signed_in()
    db = context.database()
    st.title("Cycle setup")

    def _save_cycle(
        s: Session, name: str, dates: dict[str, str], released: bool, version: int
    ) -> None:
        cycles.update_cycle(
            s,
            actor,
            cycles.get_cycle(s, name),
            expected_version=version,
            deadlines={k: v for k, v in dates.items() if v},
            released=released,
        )

    state.show_flash()
    tab_cycle, tab_districts, tab_triads, tab_index, tab_users = st.tabs(
        ["Cycle", "Districts", "Triads", "Index results", "Users"]
    )

    with tab_cycle:
        with st.form("new_cycle"):
            st.markdown("**Open a new cycle**")
            name = st.text_input("Name (school year)", placeholder="2016-17", key="cycle_name")
            keys = [r.key for r in context.rubric_versions()]
            rubric_key = st.selectbox(
                "Rubric version", keys, index=len(keys) - 1, key="cycle_rubric"
            )
            spec = st.text_input("Index specification", value="core-sqii@2016-17", key="cycle_spec")
            if st.form_submit_button("Create cycle"):
                created = act(
                    lambda s: cycles.create_cycle(
                        s,
                        actor,
                        context.catalogue(),
                        name=name,
                        rubric_key=rubric_key,
                        index_spec=spec.strip() or None,
                    )
                )
                if created is not None:
                    state.choose_cycle(created.name)
                    state.flash(f"Cycle {created.name} created; now define its triads.")
                    st.rerun()
        with db.reading() as s:
            chosen = state.cycle_name()
            current = cycles.get_cycle(s, chosen) if chosen else None
        if current is not None:
            st.markdown(
                f"**Cycle {inert(current.name)}** · rubric {current.rubric_id}@"
                f"{current.rubric_version} (pinned, hash {current.rubric_hash[:12]}…)"
            )
            with st.form("deadlines"):
                dates = {
                    p.value: st.text_input(
                        f"Deadline: {DEADLINE_LABELS[p]}",
                        value=current.deadlines.get(p.value, ""),
                        placeholder="YYYY-MM-DD",
                        key=f"deadline_{p.value}",
                    )
                    for p in (Phase.DRAFT, Phase.PEER_REVIEW, Phase.RECONCILIATION)
                }
                released = st.checkbox(
                    "Districts may read the peer ratings of their own district",
                    value=current.released,
                    key="released",
                )
                # The version these fields were filled from: a save over someone else's change
                # since then is refused, not silently applied.
                shown = st.session_state.setdefault(
                    f"cycle_version_{current.name}", current.row_version
                )
                if st.form_submit_button("Save deadlines and release"):
                    act(
                        lambda s: _save_cycle(s, current.name, dates, released, shown),
                        done="Saved.",
                    )
                    # Saved or refused (their settings shown), the next save starts from the
                    # version stored now.
                    st.session_state.pop(f"cycle_version_{current.name}", None)

    with tab_districts:
        _district_table(actor, current)
        with st.form("district"):
            st.markdown("**Add or update a district**")
            left, middle, right = st.columns(3)
            code = left.text_input("Code", key="district_code")
            title = middle.text_input("Name", key="district_name")
            enrollment = int(
                right.number_input("Students", min_value=0, step=1, key="district_enrollment")
            )
            if st.form_submit_button("Save district"):
                act(
                    lambda s: cycles.save_district(
                        s, actor, code=code, name=title, enrollment=enrollment
                    ),
                    done=f"District {code} saved.",
                    rerun=True,
                )
        _district_upload(actor)

    with tab_triads:
        if current is None:
            st.info("Create or choose a cycle first.")
        else:
            with db.reading() as s:
                members = cycles.triads(s, actor, current)
            triad_table.show(members, current.name)
            triads_import.show(actor, current)

    with tab_index:
        if current is None:
            st.info("Create or choose a cycle first.")
        else:
            index_import.show(actor, current)

    with tab_users:
        with db.reading() as s:
            users = accounts.list_accounts(s, actor)
            codes = [d.code for d in cycles.list_districts(s, actor)]
        st.dataframe(
            [
                {
                    "E-mail": u.email,
                    "Name": u.name,
                    "District": u.district or "–",
                    "Roles": ", ".join(ROLE_LABELS[r] for r in u.roles),
                    "Active": u.active,
                    "Failed sign-ins": u.failed_signins,
                    "Locked until": u.locked_until or "–",
                }
                for u in users
            ],
            hide_index=True,
            width="stretch",
        )
        with st.form("user"):
            st.markdown("**Add or update an account**")
            email = st.text_input("E-mail", key="user_email")
            person = st.text_input("Name", key="user_name")
            district_code = st.selectbox("District", [""] + codes, key="user_district")
            roles = st.multiselect(
                "Roles",
                [r.value for r in Role],
                key="user_roles",
                format_func=lambda r: ROLE_LABELS[Role(r)],
            )
            password = st.text_input(
                "Password (leave empty to keep it, or for single sign-on)",
                type="password",
                key="user_password",
            )
            if st.form_submit_button("Save account"):
                saved = act(
                    lambda s: (
                        accounts.create_user(
                            s,
                            context.settings(),
                            email=email,
                            name=person,
                            roles=[Role(r) for r in roles],
                            district_code=district_code or None,
                            password=password or None,
                            by=actor,
                        ).id
                    )
                )
                if saved is not None:
                    if password and saved == actor.user_id:
                        # A new password ended every session of the account, this one too:
                        # this browser starts a fresh one rather than being signed out.
                        state.sign_in(actor)
                    state.flash(f"Account {email} saved.")
                    st.rerun()
        _account_switches(actor, [u.email for u in users])


def _account_switches(actor: Actor, emails: list[str]) -> None:
    """Disable (ending its sessions at once), enable or unlock one account."""
    st.markdown("**Disable, enable or unlock an account**")
    email = st.selectbox("Account", emails, key="switch_email")
    disable, enable, unlock = st.columns(3)
    if disable.button("Disable", key="disable_user") and email:
        act(
            lambda s: accounts.disable_user(s, actor, email),
            done=f"Account {email} disabled; its sessions have ended.",
            rerun=True,
        )
    if enable.button("Enable", key="enable_user") and email:
        act(
            lambda s: accounts.enable_user(s, actor, email),
            done=f"Account {email} enabled.",
            rerun=True,
        )
    if unlock.button("Unlock", key="unlock_user") and email:
        act(
            lambda s: accounts.unlock_user(s, actor, email),
            done=f"Account {email} unlocked.",
            rerun=True,
        )


def _district_table(actor: Actor, cycle: Cycle | None) -> None:
    """Every district, with its schools and designations as the chosen cycle's index data has
    them (counted, never typed)."""
    with context.database().reading() as s:
        districts = cycles.list_districts(s, actor)
    counts = context.school_counts(cycle) if cycle is not None else {}
    if cycle is None:
        st.caption("Choose a cycle to see each district's schools from its index data.")
    else:
        years = sorted({c.year for c in counts.values()})
        source = f"index data {', '.join(years)}" if years else "no index data imported yet"
        st.caption(
            f"Schools and priority/focus/reward schools: cycle {inert(cycle.name)}, {source}."
        )
    st.dataframe(
        [
            {
                "Code": d.code,
                "Name": d.name,
                "Students": d.enrollment,
                **{
                    label.title(): shown(n)
                    for label, n in district_figures(counts.get(d.code)).items()
                },
            }
            for d in districts
        ],
        hide_index=True,
        width="stretch",
    )


def _district_upload(actor: Actor) -> None:
    """Upload districts, Preview what they add and change, then Apply exactly that."""
    upload = st.file_uploader(
        "Or upload districts (CSV or XLSX with columns code, name, enrollment)",
        type=["csv", "xlsx"],
        key="districts_file",
    )
    if upload is None:
        st.session_state.pop(DISTRICTS_PREVIEW, None)
        return
    if st.button("Preview", key="preview_districts"):
        st.session_state.pop(DISTRICTS_PREVIEW, None)
        with shown_errors():
            parsed = roster.parse_districts(upload.getvalue(), upload.name)
            with context.database().reading() as s:
                made = roster.preview_districts(s, actor, parsed, upload.getvalue())
            st.session_state[DISTRICTS_PREVIEW] = (upload.file_id, made, parsed.note)
    shown = st.session_state.get(DISTRICTS_PREVIEW)
    if shown is None or shown[0] != upload.file_id:
        return  # a preview stands only for the file it was made from
    preview: roster.DistrictsPreview = shown[1]
    st.info(f"Preview, nothing saved yet: {inert(preview.summary())}")
    if shown[2]:
        st.caption(shown[2])
    st.dataframe(
        [
            {
                "Code": c.code,
                "Was": "new" if c.before is None else f"{c.before.name}, {c.before.enrollment}",
                "Becomes": f"{c.after.name}, {c.after.enrollment}",
            }
            for c in preview.changes
        ],
        hide_index=True,
        width="stretch",
    )
    if st.button("Apply", key="import_districts", type="primary"):
        st.session_state.pop(DISTRICTS_PREVIEW, None)
        note = f" {shown[2]}" if shown[2] else ""
        act(
            lambda s: roster.apply_districts(
                s,
                actor,
                roster.parse_districts(upload.getvalue(), upload.name),
                upload.getvalue(),
                preview,
            ),
            done=lambda done: inert(f"Imported {done.summary()}.{note}"),
            rerun=True,
        )
