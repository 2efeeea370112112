"""C&C interactions of a room as people see them: the lists, each one's status and the results.

Whether an interaction is live is computed on every read from its status and
``scheduled_at``, so a scheduled interaction goes live at its time without any job.
The functions that change interactions are in ``interaction_services``.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.auth.access import CourseAccess
from app.models import Interaction, InteractionKind, InteractionResponse, InteractionStatus, Room
from app.rooms import permissions


def is_live(interaction: Interaction, now: datetime) -> bool:
    """Return whether learners see the interaction: published, or scheduled and due."""
    # NOTE: a scheduled interaction still goes live at its time when C&C was turned
    # off after it was scheduled. Learners then see it, but their answers are rejected.
    if interaction.status == InteractionStatus.PUBLISHED:
        return True
    return (
        interaction.status == InteractionStatus.SCHEDULED
        and interaction.scheduled_at is not None
        and interaction.scheduled_at <= now
    )


def effective_status(interaction: Interaction, now: datetime) -> InteractionStatus:
    """Return the status people see: a scheduled interaction whose time has come counts as published."""
    if is_live(interaction, now):
        return InteractionStatus.PUBLISHED
    return interaction.status


def is_visible_to_participants(interaction: Interaction, now: datetime) -> bool:
    """Return whether people who cannot edit the room see the interaction.

    They see live interactions, and closed polls and quizzes, read-only. A
    closed announcement is hidden from them.
    """
    if is_live(interaction, now):
        return True
    return interaction.status == InteractionStatus.CLOSED and interaction.kind != InteractionKind.ANNOUNCEMENT


def _visible_to_participants_clause(now: datetime):
    # The SQL form of is_visible_to_participants. Keep the two in step.
    return or_(
        Interaction.status == InteractionStatus.PUBLISHED,
        and_(Interaction.status == InteractionStatus.SCHEDULED, Interaction.scheduled_at <= now),
        and_(Interaction.status == InteractionStatus.CLOSED, Interaction.kind != InteractionKind.ANNOUNCEMENT),
    )


def list_interactions_page(
    session: Session, room: Room, *, editor: bool, now: datetime, offset: int, limit: int
) -> tuple[list[Interaction], int]:
    """Return up to ``limit`` of the room's interactions from ``offset``, in creation order, and how many there are.

    Editors get every interaction that is not deleted. Everyone else gets
    those that ``is_visible_to_participants`` allows. The count comes from a
    window function in the same statement, so an offset past the end returns
    no interactions and a count of 0.
    """
    query = select(Interaction, func.count().over()).where(
        Interaction.room_id == room.id, Interaction.status != InteractionStatus.DELETED
    )
    if not editor:
        query = query.where(_visible_to_participants_clause(now))
    rows = session.execute(query.order_by(Interaction.created_at, Interaction.id).offset(offset).limit(limit)).all()
    return [interaction for interaction, _total in rows], rows[0][1] if rows else 0


@dataclass(frozen=True)
class OptionResult:
    index: int
    label: str
    count: int
    correct: bool


@dataclass(frozen=True)
class InteractionResults:
    """Response counts of a poll or quiz. ``correct_responses`` is None for polls."""

    responses: int
    options: list[OptionResult]
    correct_responses: int | None


def is_correct_answer(interaction: Interaction, choices: list[int]) -> bool:
    """Return whether ``choices`` are exactly the quiz's correct options."""
    return sorted(set(choices)) == sorted(interaction.correct_options)


def tally_results(interaction: Interaction, all_choices: list[list[int]]) -> InteractionResults:
    """Count the responses per option and, for a quiz, the correct responses."""
    counts = [0] * len(interaction.options)
    for choices in all_choices:
        for index in set(choices):
            if 0 <= index < len(counts):
                counts[index] += 1

    correct_responses = None
    if interaction.kind == InteractionKind.QUIZ:
        correct_responses = sum(1 for choices in all_choices if is_correct_answer(interaction, choices))
    options = [
        OptionResult(index=index, label=label, count=counts[index], correct=index in interaction.correct_options)
        for index, label in enumerate(interaction.options)
    ]
    return InteractionResults(responses=len(all_choices), options=options, correct_responses=correct_responses)


def results_by_interaction(session: Session, interactions: list[Interaction]) -> dict[int, InteractionResults]:
    """Return the results of every poll and quiz in ``interactions``, keyed by interaction id."""
    questions = [interaction for interaction in interactions if interaction.kind != InteractionKind.ANNOUNCEMENT]
    if not questions:
        return {}

    choices_by_interaction: dict[int, list[list[int]]] = defaultdict(list)
    rows = session.execute(
        select(InteractionResponse.interaction_id, InteractionResponse.choices).where(
            InteractionResponse.interaction_id.in_([interaction.id for interaction in questions])
        )
    )
    for interaction_id, choices in rows:
        choices_by_interaction[interaction_id].append(list(choices or []))
    return {
        interaction.id: tally_results(interaction, choices_by_interaction[interaction.id]) for interaction in questions
    }


@dataclass(frozen=True)
class InteractionCard:
    """One interaction as the room page shows it to the current user.

    ``results`` is filled for editors only. Templates for everyone else must
    not read ``interaction.correct_options``.
    """

    interaction: Interaction
    status: InteractionStatus
    results: InteractionResults | None
    answered: bool
    can_answer: bool
    # Indexes of the options the current user chose, empty until the user answers.
    chosen: frozenset[int] = frozenset()


def interaction_cards_page(
    session: Session, room: Room, access: CourseAccess, *, editor: bool, now: datetime, offset: int, limit: int
) -> tuple[list[InteractionCard], int]:
    """Return one page of the interactions that the user sees, and how many the user sees in all.

    The cards carry results for editors and the answer state for learners,
    loaded for the interactions of the page only.
    """
    interactions, total = list_interactions_page(session, room, editor=editor, now=now, offset=offset, limit=limit)
    results = results_by_interaction(session, interactions) if editor else {}

    choices_by_interaction: dict[int, frozenset[int]] = {}
    may_answer = permissions.can_answer_interactions(session, access, room)
    if may_answer and interactions:
        rows = session.execute(
            select(InteractionResponse.interaction_id, InteractionResponse.choices).where(
                InteractionResponse.user_id == access.user.id,
                InteractionResponse.interaction_id.in_([interaction.id for interaction in interactions]),
            )
        )
        choices_by_interaction = {interaction_id: frozenset(choices or []) for interaction_id, choices in rows}

    cards = []
    for interaction in interactions:
        status = effective_status(interaction, now)
        answered = interaction.id in choices_by_interaction
        can_answer = (
            may_answer
            and access.cc_enabled
            and interaction.kind != InteractionKind.ANNOUNCEMENT
            and status == InteractionStatus.PUBLISHED
            and not answered
        )
        cards.append(
            InteractionCard(
                interaction=interaction,
                status=status,
                results=results.get(interaction.id),
                answered=answered,
                can_answer=can_answer,
                chosen=choices_by_interaction.get(interaction.id, frozenset()),
            )
        )
    return cards, total
