"""District peer review: Streamlit entry point (settings, sign-in, navigation)."""

import streamlit as st

from ui.shell import run

st.set_page_config(page_title="District Peer Review", page_icon="📋", layout="wide")
run()
