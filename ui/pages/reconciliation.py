"""Reconcile ratings: peer reviewers and coordinators settle each item of a district."""

from ui.views.reconciliation import render

render()
