"""Sign in with a local account, or single sign-on where the deployment configures it."""

import streamlit as st

from review import accounts
from ui import context, state
from ui.guard import act, shown_errors


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def render() -> None:
    # Opening the database (engine, migrations checked) takes a few tenths of a second once per
    # process: do it while the form is filled in rather than after "Sign in" is pressed.
    context.database()
    st.title("District Peer Review")
    st.write("Self-evaluations, peer reviews and review packets for the districts of the network.")
    state.show_signed_out()

    if _sso_configured():
        if getattr(st.user, "is_logged_in", False):
            user = act(lambda s: accounts.sign_in_external(s, str(st.user.email)))
            if user is not None:
                state.sign_in(user)
                st.rerun()
        if st.button("Sign in with your organisation's account", key="sso"):
            st.login()
        st.divider()

    with st.form("sign_in"):
        email = st.text_input("E-mail", key="email")
        password = st.text_input("Password", type="password", key="password")
        submitted = st.form_submit_button("Sign in", type="primary")

    if submitted:
        with shown_errors():
            state.sign_in(accounts.sign_in(context.database(), context.settings(), email, password))
            st.rerun()
