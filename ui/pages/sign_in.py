"""Sign in with a local account, or single sign-on where the deployment configures it."""

from ui.guard import page
from ui.views.sign_in import render

page(render)
