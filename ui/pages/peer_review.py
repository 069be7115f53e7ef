"""Peer reviewers: read an assigned district's self-evaluation and evidence, then rate it."""

from ui.guard import page
from ui.views.peer_review import render

page(render)
