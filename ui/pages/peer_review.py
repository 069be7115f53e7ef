"""Peer reviewers: read an assigned district's self-evaluation and evidence, then rate it."""

from ui.views.peer_review import render

render()
