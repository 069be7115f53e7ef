"""Questions about one item: reviewers ask them, the district answers them."""

from __future__ import annotations

from functools import partial

import streamlit as st

from review import comments
from review.access import Actor
from review.db import Cycle
from review.rubrics import Item
from ui import context
from ui.guard import act


def answer(actor: Actor, cycle: Cycle, district_id: int, item: Item) -> None:
    """The reviewers' questions on `item`, each with its answers and a box for the district's."""
    with context.database().reading() as s:
        thread = comments.thread(s, actor, cycle, district_id, item.id)
    questions = [m for m in thread if m.kind == "question"]
    if questions:
        st.subheader("Questions from reviewers")
    for question in questions:
        with st.container(border=True):
            st.markdown(f"**{question.author}** asked:")
            st.text(question.body)
            for reply in (m for m in thread if m.parent_id == question.id):
                st.markdown(f"**{reply.author}** answered:")
                st.text(reply.body)
            body = st.text_area("Your answer", key=f"answer_{question.id}")
            if st.button("Send answer", key=f"answer_button_{question.id}"):
                act(
                    partial(
                        comments.answer_question,
                        actor=actor,
                        cycle=cycle,
                        question_id=question.id,
                        body=body,
                    ),
                    done="Answer sent.",
                    rerun=True,
                    clear=(f"answer_{question.id}",),
                )


def ask(actor: Actor, cycle: Cycle, district_id: int, item: Item, *, scope: str) -> None:
    """A reviewer's question to the district on `item`, and the item's thread so far.

    Lazy: the thread is read only when the reviewer opens it. `scope` keys the widgets (the
    district code and the item).
    """
    box = st.expander(
        "Ask the district a question about this item",
        key=f"questions_{scope}",
        on_change="rerun",
    )
    if not box.open:
        return
    with box:
        question = st.text_area("Question", key=f"question_{scope}")
        if st.button("Send question", key=f"ask_{scope}"):
            act(
                lambda s: comments.ask_question(
                    s, actor, cycle, district_id=district_id, item_id=item.id, body=question
                ),
                done="Sent. The district sees it on its self-evaluation page.",
                rerun=True,
                clear=(f"question_{scope}",),
            )
        with context.database().reading() as s:
            for message in comments.thread(s, actor, cycle, district_id, item.id):
                st.markdown(f"**{message.author}** ({message.kind}):")
                st.text(message.body)
