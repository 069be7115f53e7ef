"""Reconcile ratings: peer reviewers and coordinators settle each item of a district."""

from ui.guard import page
from ui.views.reconciliation import render

page(render)
