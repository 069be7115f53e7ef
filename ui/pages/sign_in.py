"""Sign in with a local account, or single sign-on where the deployment configures it."""

from ui.views.sign_in import render

render()
