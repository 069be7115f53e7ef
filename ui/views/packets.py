"""Review packets: coordinators build one or all; districts and observers download final ones."""

import streamlit as st

from exports.packet import build_packet, bundle, packet_name
from review import scope
from review.access import Action
from ui import context, state
from ui.components import cycle as cycle_picker
from ui.guard import shown_errors


def render() -> None:
    actor = state.signed_in()
    db = context.database()
    st.title("Review packets")
    st.caption(
        "Each packet is a ZIP with the PDF report, the Excel workbook, the evidence files "
        "and a manifest of SHA-256 checksums."
    )
    cycle, _ = cycle_picker.current()
    with db.reading() as s:
        readable = [
            (d.code, d.name, p.phase)
            for d, p in scope.districts(s, actor, cycle, Action.READ_FINAL)
        ]
    if not readable:
        st.info(
            "No packet is available to you yet: a district's packet opens to it once the "
            "district's review is final."
        )
        st.stop()

    labels = {
        code: f"{code} · {name} ({phase.replace('_', ' ')})" for code, name, phase in readable
    }
    options = ["ALL", *labels] if len(readable) > 1 else list(labels)
    choice = st.selectbox(
        "District",
        options,
        key="packet_district",
        format_func=lambda c: "All districts" if c == "ALL" else labels[c],
    )
    if st.button(
        "Build packet" + ("s" if choice == "ALL" else ""), key="build_packets", type="primary"
    ):
        codes = list(labels) if choice == "ALL" else [choice]
        bar = st.progress(0.0, text="Building…")
        built: list[tuple[str, bytes]] = []
        with shown_errors():
            for done, code in enumerate(codes, start=1):
                with db.reading() as s:
                    report, data = build_packet(
                        s,
                        context.catalogue(),
                        cycle_name=cycle.name,
                        district_code=code,
                        index=context.district_summary(cycle, code, details=False),
                        reader=actor,
                    )
                built.append((f"{packet_name(report)}.zip", data))
                bar.progress(done / len(codes), text=f"{done} of {len(codes)}: {code}")
            st.session_state["packets"] = built
    packets = st.session_state.get("packets") or []
    if len(packets) == 1:
        name, data = packets[0]
        st.download_button(
            f"Download {name}", data, file_name=name, mime="application/zip", key="download_packet"
        )
    elif packets:
        st.download_button(
            f"Download {len(packets)} packets",
            bundle(packets),
            file_name=f"{cycle.name}-packets.zip",
            mime="application/zip",
            key="download_packet",
        )
