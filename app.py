"""District peer review: Streamlit entry point (settings, sign-in, navigation)."""

import streamlit as st

from ui.guard import shown_errors
from ui.shell import run

st.set_page_config(page_title="District Peer Review", page_icon="📋", layout="wide")
# The last line of defence: whatever a page raises is shown in words, never as a traceback.
with shown_errors():
    run()
