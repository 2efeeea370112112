"""Business rules for C&C interactions: content, status changes and answers.

Functions flush, and the caller commits.

Status changes:

| action     | from                                 | to        |
| publish    | draft, scheduled and not yet due     | published |
| schedule   | draft, scheduled and not yet due     | scheduled |
| unschedule | scheduled and not yet due            | draft     |
| close      | published, scheduled and due         | closed    |
| reopen     | closed                               | published |
| delete     | any status but deleted               | deleted   |

With C&C disabled for the deployment, publish, schedule, reopen and answers
raise ``CCDisabled``. Editing drafts, closing and deleting still work.
"""

import logging
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Interaction, InteractionKind, InteractionResponse, InteractionStatus, Room, User
from app.rooms.exceptions import AlreadyAnswered, CCDisabled, InteractionConflict, InvalidRoomInput
from app.rooms.interaction_validation import clean_choices, clean_content, parse_kind, parse_schedule_time
from app.rooms.interactions import effective_status, is_live

logger = logging.getLogger(__name__)


def _require_cc_enabled(cc_enabled: bool) -> None:
    if not cc_enabled:
        raise CCDisabled(
            _("C&C is turned off for this LMS installation, so polls, quizzes and announcements cannot be published or answered.")
        )


def create_interaction(
    session: Session,
    room: Room,
    author: User,
    *,
    kind: str,
    title: str | None,
    body: str | None,
    options: list[str | None],
    correct_options: list[str | None],
) -> Interaction:
    """Create a draft announcement, poll or quiz in ``room``."""
    checked_kind = parse_kind(kind)
    content = clean_content(
        checked_kind, title=title, body=body, options=options, correct_options=correct_options
    )
    interaction = Interaction(
        room_id=room.id,
        kind=checked_kind,
        title=content.title,
        body=content.body,
        options=content.options,
        correct_options=content.correct_options,
        status=InteractionStatus.DRAFT,
    )
    session.add(interaction)
    session.flush()
    logger.info("Interaction %s (%s) created in room %s by user %s", interaction.id, checked_kind, room.id, author.id)
    return interaction


def update_interaction(
    session: Session,
    interaction: Interaction,
    editor: User,
    *,
    title: str | None,
    body: str | None,
    options: list[str | None],
    correct_options: list[str | None],
    now: datetime,
) -> Interaction:
    """Replace the content of an interaction, keeping its kind and status.

    The question and options of a poll or quiz change only while learners
    cannot have answered it, that is in draft or before its scheduled time.
    """
    if interaction.kind != InteractionKind.ANNOUNCEMENT and effective_status(interaction, now) not in (
        InteractionStatus.DRAFT,
        InteractionStatus.SCHEDULED,
    ):
        raise InteractionConflict(
            _(
                "Learners may have answered “%(title)s” already, so its question and options can no longer change.",
                title=interaction.title,
            )
        )

    content = clean_content(
        interaction.kind, title=title, body=body, options=options, correct_options=correct_options
    )
    interaction.title = content.title
    interaction.body = content.body
    interaction.options = content.options
    interaction.correct_options = content.correct_options
    session.flush()
    logger.info("Interaction %s edited by user %s", interaction.id, editor.id)
    return interaction


def publish_interaction(session: Session, interaction: Interaction, *, cc_enabled: bool, now: datetime) -> None:
    _require_cc_enabled(cc_enabled)
    if is_live(interaction, now):
        raise InteractionConflict(_("“%(title)s” is already published.", title=interaction.title))
    if interaction.status == InteractionStatus.CLOSED:
        raise InteractionConflict(_("“%(title)s” is closed. Reopen it instead.", title=interaction.title))

    interaction.status = InteractionStatus.PUBLISHED
    interaction.published_at = now
    interaction.scheduled_at = None
    session.flush()
    logger.info("Interaction %s published", interaction.id)


def schedule_interaction(
    session: Session, interaction: Interaction, scheduled_at: str | None, *, cc_enabled: bool, now: datetime
) -> None:
    """Schedule the interaction to go live at ``scheduled_at``, an ISO 8601 time that is UTC without an offset."""
    _require_cc_enabled(cc_enabled)
    if is_live(interaction, now):
        raise InteractionConflict(
            _("“%(title)s” is already published, so it cannot be scheduled.", title=interaction.title)
        )
    if interaction.status == InteractionStatus.CLOSED:
        raise InteractionConflict(_("“%(title)s” is closed, so it cannot be scheduled.", title=interaction.title))
    moment = parse_schedule_time(scheduled_at, now)

    interaction.status = InteractionStatus.SCHEDULED
    interaction.scheduled_at = moment
    session.flush()
    logger.info("Interaction %s scheduled for %s", interaction.id, moment.isoformat())


def unschedule_interaction(session: Session, interaction: Interaction, *, now: datetime) -> None:
    """Turn a scheduled interaction whose time has not come back into a draft."""
    if is_live(interaction, now):
        raise InteractionConflict(
            _("“%(title)s” is already published, so its schedule cannot be cancelled.", title=interaction.title)
        )
    if interaction.status != InteractionStatus.SCHEDULED:
        raise InteractionConflict(_("“%(title)s” is not scheduled.", title=interaction.title))

    interaction.status = InteractionStatus.DRAFT
    interaction.scheduled_at = None
    session.flush()
    logger.info("Interaction %s unscheduled", interaction.id)


def close_interaction(session: Session, interaction: Interaction, *, now: datetime) -> None:
    """Close a live interaction: a poll or quiz takes no more answers, and learners no longer see an announcement."""
    if interaction.status == InteractionStatus.CLOSED:
        raise InteractionConflict(_("“%(title)s” is already closed.", title=interaction.title))
    if not is_live(interaction, now):
        raise InteractionConflict(
            _("“%(title)s” is not published, so it cannot be closed.", title=interaction.title)
        )

    if interaction.status == InteractionStatus.SCHEDULED:
        # It went live at its scheduled time without any write: record that now.
        interaction.published_at = interaction.scheduled_at
    interaction.status = InteractionStatus.CLOSED
    interaction.closed_at = now
    session.flush()
    logger.info("Interaction %s closed", interaction.id)


def reopen_interaction(session: Session, interaction: Interaction, *, cc_enabled: bool, now: datetime) -> None:
    _require_cc_enabled(cc_enabled)
    if interaction.status != InteractionStatus.CLOSED:
        raise InteractionConflict(_("“%(title)s” is not closed, so it cannot be reopened.", title=interaction.title))

    interaction.status = InteractionStatus.PUBLISHED
    interaction.closed_at = None
    session.flush()
    logger.info("Interaction %s reopened", interaction.id)


def delete_interaction(session: Session, interaction: Interaction, actor: User, *, now: datetime) -> None:
    """Soft-delete the interaction; its responses stay in the database."""
    if interaction.status == InteractionStatus.DELETED:
        raise InteractionConflict(_("“%(title)s” is already deleted.", title=interaction.title))

    interaction.status = InteractionStatus.DELETED
    interaction.deleted_at = now
    session.flush()
    logger.info("Interaction %s deleted by user %s", interaction.id, actor.id)


def _has_response(session: Session, interaction: Interaction, user: User) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    InteractionResponse.interaction_id == interaction.id, InteractionResponse.user_id == user.id
                )
            )
        )
    )


def record_response(
    session: Session,
    interaction: Interaction,
    learner: User,
    choices: list[str | None],
    *,
    cc_enabled: bool,
    now: datetime,
) -> InteractionResponse:
    """Store a learner's one answer to a live poll or quiz.

    The caller checks that the user may answer. A second answer, including
    one sent at the same moment as the first, raises ``AlreadyAnswered``
    because the unique constraint on (interaction, user) rejects it.
    """
    _require_cc_enabled(cc_enabled)
    if interaction.kind == InteractionKind.ANNOUNCEMENT:
        raise InvalidRoomInput(_("Announcements take no answers."))

    # Read the status again under a shared row lock, so that an editor's close
    # that commits first is seen here (PostgreSQL; SQLite's BEGIN IMMEDIATE already serializes).
    session.refresh(interaction, with_for_update={"read": True})
    if interaction.status == InteractionStatus.CLOSED:
        raise InteractionConflict(_("“%(title)s” is closed, so it takes no more answers.", title=interaction.title))
    if not is_live(interaction, now):
        raise InteractionConflict(_("“%(title)s” is not published.", title=interaction.title))
    checked_choices = clean_choices(interaction.kind, len(interaction.options), choices)

    response = InteractionResponse(interaction_id=interaction.id, user_id=learner.id, choices=checked_choices)
    try:
        with session.begin_nested():
            session.add(response)
    except IntegrityError:
        # Another constraint, such as a foreign key, may have failed instead.
        if not _has_response(session, interaction, learner):
            raise
        logger.info("Second answer rejected: interaction %s, user %s", interaction.id, learner.id)
        raise AlreadyAnswered(
            _("You have already answered “%(title)s”. Only your first answer counts.", title=interaction.title)
        ) from None
    return response
