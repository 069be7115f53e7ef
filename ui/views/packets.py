"""Review packets: a final district's packet as kept at finalization; drafts built on demand."""

import streamlit as st

from review.access import Phase
from ui import state
from ui.components import cycle as cycle_picker
from ui.components import packet_build, packet_districts, packet_versions


def render() -> None:
    actor = state.signed_in()
    st.title("Review packets")
    st.caption(
        "Each packet is a ZIP with the PDF report, the Excel workbook, the evidence files "
        "and a manifest of SHA-256 checksums. A final district's packet is built once when it "
        "is finalized and kept: every download returns the same bytes."
    )
    cycle, _ = cycle_picker.current()
    readable = packet_districts.readable(actor, cycle)
    choice = packet_districts.choose(readable)
    if choice == packet_districts.ALL:
        packet_build.build(actor, cycle, list(readable))
    elif readable[choice][1] == Phase.FINAL:
        packet_versions.show(actor, cycle, readable[choice][0])
    else:
        st.warning(
            f"{readable[choice][0].name} is not final: its packet is a draft, built from what "
            "is there now."
        )
        packet_build.build(actor, cycle, [choice])
    packet_build.download()
