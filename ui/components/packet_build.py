"""Packets built on demand: drafts of districts not yet final, or several districts at once.

A final district contributes its kept packet, so its bytes never differ from the kept version.
"""

from __future__ import annotations

import streamlit as st

from exports.packet import build_packet, bundle, freeze, packet_name
from review import packets
from review.access import Actor
from review.db import Cycle
from ui import context
from ui.guard import shown_errors

BUILT = "packets"


def build(actor: Actor, cycle: Cycle, codes: list[str]) -> None:
    """A button that builds the chosen packets now, with a progress bar; keeps them for
    `download`."""
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
        st.session_state[BUILT] = (cycle.name, built)


def download() -> None:
    """The download of what was last built: one packet, or all of them in one ZIP."""
    cycle_name, built = st.session_state.get(BUILT) or ("", [])
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
