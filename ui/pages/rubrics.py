"""Coordinators: browse rubric versions and what changed between two of them."""

from ui.views.rubrics import render

render()
