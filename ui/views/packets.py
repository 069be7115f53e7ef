"""Review packets: a final district's packet as kept at finalization; drafts built on demand."""

import streamlit as st

from exports.packet import build_packet, bundle, freeze, packet_name
from review import packets, scope
from review.access import PHASE_LABELS, Action, Actor, Phase
from review.db import Cycle, District
from ui import context, state
from ui.components import cycle as cycle_picker
from ui.guard import shown_errors


def render() -> None:
    actor = state.signed_in()
    st.title("Review packets")
    st.caption(
        "Each packet is a ZIP with the PDF report, the Excel workbook, the evidence files "
        "and a manifest of SHA-256 checksums. A final district's packet is built once when it "
        "is finalized and kept: every download returns the same bytes."
    )
    cycle, _ = cycle_picker.current()
    with context.database().reading() as s:
        readable = {
            d.code: (d, Phase(p.phase))
            for d, p in scope.districts(s, actor, cycle, Action.READ_FINAL)
        }
    if not readable:
        st.info(
            "No packet is available to you yet: a district's packet opens to it once the "
            "district's review is final."
        )
        st.stop()
    options = ["ALL", *readable] if len(readable) > 1 else list(readable)
    choice = st.selectbox(
        "District",
        options,
        key="packet_district",
        format_func=lambda c: (
            "All districts"
            if c == "ALL"
            else f"{c} · {readable[c][0].name} ({PHASE_LABELS[readable[c][1]]})"
        ),
    )
    if choice == "ALL":
        _build(actor, cycle, list(readable))
    elif readable[choice][1] == Phase.FINAL:
        _kept(actor, cycle, readable[choice][0])
    else:
        st.warning(
            f"{readable[choice][0].name} is not final: its packet is a draft, built from what "
            "is there now."
        )
        _build(actor, cycle, [choice])
    _download()


def _kept(actor: Actor, cycle: Cycle, district: District) -> None:
    """The versions kept for a final district, newest first, each with its checksum."""
    db = context.database()
    with shown_errors():
        freeze(  # a no-op unless the packet of this finalization is still missing
            db,
            context.catalogue(),
            cycle_name=cycle.name,
            district_code=district.code,
            index=context.district_summary(cycle, district.code, details=False),
            actor=actor,
        )
    with db.reading() as s:
        kept = packets.frozen_packets(s, actor, cycle, district.id)
    if not kept:
        st.stop()
    st.dataframe(
        [
            {
                "Version": p.version,
                "File": p.file_name,
                "Built": p.made_at.strftime("%Y-%m-%d %H:%M UTC"),
                "By": p.made_by or "command line",
                "Size (bytes)": p.size,
                "SHA-256": p.sha256,
            }
            for p in kept
        ],
        hide_index=True,
        width="stretch",
        column_config={"SHA-256": st.column_config.TextColumn(width="large")},
    )
    chosen = st.selectbox(
        "Version to download",
        [p.id for p in kept],
        key=f"packet_version_{district.code}",
        format_func=lambda i: next(f"Version {p.version}" for p in kept if p.id == i),
    )
    packet = next(p for p in kept if p.id == chosen)
    with db.reading() as s:
        data = packets.packet_bytes(s, actor, cycle, packet.id)
    st.download_button(
        f"Download {packet.file_name}",
        data,
        file_name=packet.file_name,
        mime="application/zip",
        key="download_kept",
    )


def _build(actor: Actor, cycle: Cycle, codes: list[str]) -> None:
    """Build the chosen packets now; final districts contribute their kept packet."""
    db = context.database()
    if not st.button(
        "Build packet" + ("s" if len(codes) > 1 else ""), key="build_packets", type="primary"
    ):
        return
    bar = st.progress(0.0, text="Building…")
    built: list[tuple[str, bytes]] = []
    with shown_errors():
        for done, code in enumerate(codes, start=1):
            index = context.district_summary(cycle, code, details=False)
            kept = freeze(
                db,
                context.catalogue(),
                cycle_name=cycle.name,
                district_code=code,
                index=index,
                actor=actor,
            )
            with db.reading() as s:
                if kept is not None:
                    built.append((kept.file_name, packets.packet_bytes(s, actor, cycle, kept.id)))
                else:
                    report, data = build_packet(
                        s,
                        context.catalogue(),
                        cycle_name=cycle.name,
                        district_code=code,
                        index=index,
                        reader=actor,
                    )
                    built.append((f"{packet_name(report)}.zip", data))
            bar.progress(done / len(codes), text=f"{done} of {len(codes)}: {code}")
        st.session_state["packets"] = (cycle.name, built)


def _download() -> None:
    cycle_name, built = st.session_state.get("packets") or ("", [])
    if len(built) == 1:
        name, data = built[0]
        st.download_button(
            f"Download {name}", data, file_name=name, mime="application/zip", key="download_packet"
        )
    elif built:
        st.download_button(
            f"Download {len(built)} packets",
            bundle(built),
            file_name=f"{cycle_name}-packets.zip",
            mime="application/zip",
            key="download_packet",
        )
