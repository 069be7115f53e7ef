"""Coordinators: browse rubric versions and what changed between two of them."""

from ui.guard import page
from ui.views.rubrics import render

page(render)
