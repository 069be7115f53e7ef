"""Typed text survives a reload: the browser keeps a draft of a text area until the server has it.

Streamlit sends a text area's value only when the field loses focus (or on Ctrl+Enter), so text
typed just before a reload, a closed tab or a lost connection never reaches the server. This
component keeps a copy of each keystroke's text in the browser's localStorage (never on the
server, so there is still one save and one audit event per field, not per keystroke), and after
a reload offers it back; putting it back fills the field and hands it to Streamlit, which saves
it like any edit. The draft is forgotten once the server holds the same text.
"""

from __future__ import annotations

import re

import streamlit as st

_JS = """
export default function ({ data, parentElement }) {
  const storage = data.storage;
  const box = parentElement.querySelector(".draft");
  let field = null;
  let tries = 0;

  const read = () => {
    try { return JSON.parse(window.localStorage.getItem(storage) || "null"); }
    catch (e) { return null; }
  };
  const keep = () => {
    window.localStorage.setItem(storage, JSON.stringify({ text: field.value, at: Date.now() }));
  };
  const offer = (draft) => {
    box.replaceChildren();
    const when = new Date(draft.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const note = document.createElement("p");
    note.textContent = "Text you typed at " + when + " was not saved yet; this browser kept it:";
    const text = document.createElement("blockquote");
    text.textContent = draft.text.length > 400 ? draft.text.slice(0, 400) + "…" : draft.text;
    const restore = document.createElement("button");
    restore.type = "button";
    restore.textContent = data.restore;
    restore.onclick = () => {
      const set = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value").set;
      set.call(field, draft.text);
      field.dispatchEvent(new Event("input", { bubbles: true }));
      field.focus();
      field.blur();
      box.replaceChildren();
    };
    const drop = document.createElement("button");
    drop.type = "button";
    drop.textContent = "Discard it";
    drop.onclick = () => { window.localStorage.removeItem(storage); box.replaceChildren(); };
    box.append(note, text, restore, drop);
  };
  const attach = () => {
    field = document.querySelector("." + data.widget + " textarea");
    if (!field) {
      if (tries++ < 50) setTimeout(attach, 100);
      return;
    }
    const draft = read();
    if (draft && draft.text === data.saved) {
      window.localStorage.removeItem(storage);
    } else if (draft && field.value === data.saved && draft.text !== field.value) {
      offer(draft);
    }
    field.addEventListener("input", keep);
    // Text typed before this ran (a slow page) is kept too, not only what comes after.
    if (field.value !== data.saved) keep();
    field.dataset.draftKept = "yes";  // tests wait for this before typing
  };
  attach();
  return () => { if (field) field.removeEventListener("input", keep); };
}
"""

_CSS = """
.draft:empty { display: none; }
.draft { border: 1px solid #b45309; border-radius: 0.5rem; padding: 0.5rem 0.75rem;
         font-family: inherit; font-size: 0.9rem; color: #1f2937; }
.draft blockquote { white-space: pre-wrap; margin: 0.25rem 0 0.5rem; padding-left: 0.5rem;
                    border-left: 3px solid #9ca3af; }
.draft button { margin-right: 0.5rem; padding: 0.25rem 0.75rem; border-radius: 0.4rem;
                border: 1px solid #6b7280; background: #ffffff; color: #111827; cursor: pointer; }
"""

_keeper = st.components.v2.component(
    "review.drafts", html='<div class="draft" role="status"></div>', css=_CSS, js=_JS
)


def keep_drafts(widget_key: str, *, where: str, saved: str, in_form: bool = False) -> None:
    """Keep what is typed into the text area with key `widget_key` in this browser until saved.

    Args:
        where: what the text belongs to (person, cycle, district, item, field), so that a draft
            is only ever offered back to the same field of the same person.
        saved: the text the server holds now; a draft equal to it is forgotten.
        in_form: the field is saved by its form's button rather than when it loses focus.
    """
    _keeper(
        key=f"drafts_{widget_key}",
        data={
            "widget": widget_class(widget_key),
            "storage": f"review-draft:{where}",
            "saved": saved,
            "restore": "Put it back" if in_form else "Put it back and save",
        },
        height="content",
    )


def widget_class(widget_key: str) -> str:
    """The CSS class Streamlit gives the container of the widget with key `widget_key`."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", widget_key.strip())
