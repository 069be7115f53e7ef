"""Cycle setup, the user accounts: every account, a form to add or update one, and the switches
that disable, enable or unlock one."""

from __future__ import annotations

import streamlit as st

from review import accounts, cycles
from review.access import ROLE_LABELS, Actor, Role
from ui import context, state
from ui.components import table as table_view
from ui.guard import act


def show(actor: Actor) -> None:
    """The Users tab."""
    with context.database().reading() as s:
        users = accounts.list_accounts(s, actor)
        codes = [d.code for d in cycles.list_districts(s, actor)]
    st.dataframe(
        [
            {
                "E-mail": u.email,
                "Name": u.name,
                "District": u.district or table_view.NO_VALUE,
                "Roles": ", ".join(ROLE_LABELS[r] for r in u.roles),
                "Active": u.active,
                "Failed sign-ins": u.failed_signins,
                "Locked until": u.locked_until or table_view.NO_VALUE,
            }
            for u in users
        ],
        hide_index=True,
        width="stretch",
    )
    _form(actor, codes)
    _switches(actor, [u.email for u in users])


def _form(actor: Actor, codes: list[str]) -> None:
    """Add an account, or update the one with the e-mail typed."""
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
                    # A new password ended every session of the account, this one too: this
                    # browser starts a fresh one rather than being signed out.
                    state.sign_in(actor)
                state.flash(f"Account {email} saved.")
                st.rerun()


def _switches(actor: Actor, emails: list[str]) -> None:
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
