"""Sign in with a local account, or single sign-on where the deployment configures it."""

import streamlit as st

from review import accounts
from ui import context, state
from ui.guard import shown_errors


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
        _single_sign_on()
        st.divider()

    with st.form("sign_in"):
        email = st.text_input("E-mail", key="email")
        password = st.text_input("Password", type="password", key="password")
        submitted = st.form_submit_button("Sign in", type="primary")

    if submitted:
        with shown_errors():
            state.sign_in(accounts.sign_in(context.database(), context.settings(), email, password))
            st.rerun()


def _single_sign_on() -> None:
    """The organisation's sign-in; an identity this deployment does not trust can sign out of it.

    The provider's claims go to the domain whole: it decides which identities map to accounts.
    """
    if not getattr(st.user, "is_logged_in", False):
        if st.button("Sign in with your organisation's account", key="sso"):
            st.login()
        return
    claims = st.user.to_dict()
    with shown_errors():
        with context.database().reading() as session:
            user = accounts.sign_in_external(session, context.settings(), claims)
        state.sign_in(user)
        st.rerun()
    # Refused (the message is shown): without this the provider's identity cookie would keep
    # this browser on the refused identity, with no way to try another.
    if st.button("Sign out of single sign-on", key="sso_sign_out"):
        state.sign_out_of_provider()
