"""The method's guidance: the two core questions, the transparency plan, trust pulses.

* **The opening.** The article begins with two core questions: *are we
  valuable enough to each other?* and *are our form and style of cooperation
  optimal?* Each party answers them on its own first: ``opening.answered`` is
  visible to that party's team only. ``opening.share`` says the party is
  ready (public ``opening.ready``, no content); when the second party is
  ready, one public ``opening.shared`` carries both sides' answers, so neither
  reads the other's before writing its own. Once ready, a party's answers are
  fixed (``opening.already_ready``).
* **The transparency plan.** Transparency is agreed up front, per topic: each
  party says for each item whether it intends to open its figures
  (``plan.changed``, public). Whether the plan is honoured shows item by item
  against the consents the parties actually give. Items without figures
  (questions, notes) have no plan (``item.no_figures``).
* **Trust pulses.** Trust is a verb: either party may name one of the 13
  trust-building behaviours it saw (``trust.pulsed``, public). Pulses are a
  light record in the room's time line; nothing counts or scores them.
"""

from __future__ import annotations

from typing import Any

from valueroom.domain.commands.common import Handler, acting_party, item_with_figures
from valueroom.domain.errors import InvalidCommand
from valueroom.domain.events import Actor, Draft
from valueroom.domain.method import CORE_QUESTIONS
from valueroom.domain.state import RoomState
from valueroom.domain.visibility import PARTIES, PUBLIC, other, party_only

__all__ = ["HANDLERS"]


def _answer(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    party = acting_party(actor)
    view = state.view(party)
    if view.ready[party]:
        raise InvalidCommand(
            "your answers were shared; they no longer change",
            reason="opening.already_ready",
            field="answer",
        )
    if view.answers is not None and view.answers[args["question"]] == args["answer"]:
        return []
    data = {"party": party, "question": args["question"], "answer": args["answer"]}
    return [Draft("opening.answered", data, party_only(party))]


def _share(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    party = acting_party(actor)
    view = state.view(party)
    if view.ready[party]:
        return []
    answers = view.answers
    if answers is None or not all(answers[q].strip() for q in CORE_QUESTIONS):
        raise InvalidCommand(
            "answer both core questions before sharing",
            reason="opening.unanswered",
            field=None,
        )
    drafts = [Draft("opening.ready", {"party": party}, PUBLIC)]
    if view.ready[other(party)]:
        both = {p: dict(state.view(p).answers or {}) for p in PARTIES}
        drafts.append(Draft("opening.shared", {"answers": both}, PUBLIC))
    return drafts


def _plan(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    party = acting_party(actor)
    item = item_with_figures(state.public, args["item_id"])
    if state.public.plan.get(item.id, {}).get(party) == args["open"]:
        return []
    data = {"item_id": item.id, "party": party, "open": args["open"]}
    return [Draft("plan.changed", data, PUBLIC)]


def _pulse(state: RoomState, actor: Actor, args: dict[str, Any]) -> list[Draft]:
    party = acting_party(actor)
    return [Draft("trust.pulsed", {"party": party, "behaviour": args["behaviour"]}, PUBLIC)]


HANDLERS: dict[str, Handler] = {
    "opening.answer": _answer,
    "opening.share": _share,
    "plan.set": _plan,
    "trust.pulse": _pulse,
}
