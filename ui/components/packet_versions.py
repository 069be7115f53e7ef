"""A final district's packet as kept: every version, newest first, with its checksum."""

from __future__ import annotations

import streamlit as st

from exports.packet import freeze
from review import packets
from review.access import Actor
from review.db import Cycle, District
from ui import context
from ui.components import table
from ui.guard import shown_errors

COLUMNS = {"SHA-256": st.column_config.TextColumn(width="large")}


def show(actor: Actor, cycle: Cycle, district: District) -> None:
    """The versions kept for `district`, and a download of the one chosen."""
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
    table.show(
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
        COLUMNS,
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
