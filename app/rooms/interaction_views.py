"""Interaction routes: editors prepare and publish announcements, polls and quizzes, learners answer.

Every route loads the room first, so a room of another course is a 404 on all
of them. Editor routes then return 403 to everyone else, whatever the
interaction id, and an interaction that is deleted or in another room is a 404.
"""

import logging

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.extensions import db
from app.models import Interaction, InteractionKind, InteractionStatus, Room
from app.models.base import utcnow
from app.rooms import edit_conflicts, interaction_services, permissions
from app.rooms.exceptions import RoomError, RoomPermissionDenied
from app.rooms.interaction_forms import AnswerForm, InteractionForm, ScheduleForm
from app.rooms.interactions import effective_status, is_visible_to_participants, results_by_interaction
from app.rooms.views import load_room, render_room_error

logger = logging.getLogger(__name__)

bp = Blueprint("interactions", __name__)

KIND_VALUES = frozenset(kind.value for kind in InteractionKind)


def _load_room_for_editing(room_id: int):
    room, access = load_room(room_id)
    if not permissions.can_edit_room(db.session, access, room):
        abort(403)
    return room, access


def _load_interaction(room: Room, interaction_id: int) -> Interaction:
    interaction = db.session.get(Interaction, interaction_id)
    if interaction is None or interaction.room_id != room.id or interaction.status == InteractionStatus.DELETED:
        abort(404)
    return interaction


def _room_url(room: Room) -> str:
    return url_for("rooms.show", room_id=room.id)


def _render_form(
    room: Room,
    form: InteractionForm,
    *,
    kind: str,
    action: str,
    page_url: str,
    interaction: Interaction | None = None,
    error: str | None = None,
    conflict: list[tuple[str, str]] | None = None,
    status: int = 200,
):
    if form.correct.data is None:
        form.correct.data = []
    return render_template(
        "rooms/interaction_form.html",
        room=room,
        form=form,
        kind=kind,
        interaction=interaction,
        action=action,
        error=error,
        conflict=conflict,
        page_url=page_url,
    ), status


def _content_fingerprint(interaction: Interaction) -> str:
    # The correct options are part of it, though learners never see them: two editors
    # of one quiz must not overwrite each other's choice of answers either.
    return edit_conflicts.fingerprint(interaction.title, interaction.body, interaction.options, interaction.correct_options)


def _render_answer_error(room: Room, error: RoomError):
    return render_template(
        "rooms/answer_refused.html", room=room, message=error.message, page_url=_room_url(room)
    ), error.status


def _change_status(room: Room, change):
    """Run one status change, then commit and go back to the room, or roll back and show why not."""
    try:
        change(utcnow())
    except RoomError as error:
        db.session.rollback()
        return render_room_error(room, error.message, error.status)

    db.session.commit()
    return redirect(_room_url(room), code=303)


@bp.get("/rooms/<int:room_id>/interactions/new/<kind>")
def new(room_id: int, kind: str):
    room, _access = _load_room_for_editing(room_id)
    if kind not in KIND_VALUES:
        abort(404)

    form = InteractionForm(kind=kind)
    return _render_form(
        room,
        form,
        kind=kind,
        action=url_for("interactions.create", room_id=room.id),
        page_url=url_for("interactions.new", room_id=room.id, kind=kind),
    )


@bp.post("/rooms/<int:room_id>/interactions")
def create(room_id: int):
    room, access = _load_room_for_editing(room_id)

    form = InteractionForm()
    try:
        interaction_services.create_interaction(
            db.session,
            room,
            access.user,
            kind=form.kind.data,
            title=form.title.data,
            body=form.body.data,
            options=form.options.data,
            correct_options=form.correct.data or [],
        )
    except RoomError as error:
        db.session.rollback()
        kind = form.kind.data or ""
        page_url = _room_url(room)
        if kind in KIND_VALUES:
            page_url = url_for("interactions.new", room_id=room.id, kind=kind)
        return _render_form(
            room,
            form,
            kind=kind,
            action=url_for("interactions.create", room_id=room.id),
            page_url=page_url,
            error=error.message,
            status=error.status,
        )

    db.session.commit()
    return redirect(_room_url(room), code=303)


@bp.route("/rooms/<int:room_id>/interactions/<int:interaction_id>/edit", methods=["GET", "POST"])
def edit(room_id: int, interaction_id: int):
    room, access = _load_room_for_editing(room_id)
    interaction = _load_interaction(room, interaction_id)
    action = url_for("interactions.edit", room_id=room.id, interaction_id=interaction.id)

    if request.method == "GET":
        form = InteractionForm(
            data={
                "kind": interaction.kind.value,
                "title": interaction.title,
                "body": interaction.body,
                "options": interaction.options,
                "correct": [str(index) for index in interaction.correct_options],
                "original": _content_fingerprint(interaction),
            }
        )
        return _render_form(
            room, form, kind=interaction.kind.value, action=action, page_url=action, interaction=interaction
        )

    form = InteractionForm()
    edit_conflicts.lock_row(db.session, interaction)
    current = _content_fingerprint(interaction)
    if edit_conflicts.changed_since(form.original.data, current):
        logger.info(
            "Edit of interaction %s by user %s not saved: the content changed since the form was opened",
            interaction.id,
            access.user.id,
        )
        conflict = [(_("Title"), interaction.title), (_("Text"), interaction.body or "-")]
        if interaction.options:
            conflict.append((_("Options"), "; ".join(interaction.options)))
        db.session.rollback()
        form.original.data = current
        return _render_form(
            room,
            form,
            kind=interaction.kind.value,
            action=action,
            page_url=action,
            interaction=interaction,
            conflict=conflict,
            status=409,
        )
    try:
        interaction_services.update_interaction(
            db.session,
            interaction,
            access.user,
            title=form.title.data,
            body=form.body.data,
            options=form.options.data,
            correct_options=form.correct.data or [],
            now=utcnow(),
        )
    except RoomError as error:
        db.session.rollback()
        return _render_form(
            room,
            form,
            kind=interaction.kind.value,
            action=action,
            page_url=action,
            interaction=interaction,
            error=error.message,
            status=error.status,
        )

    db.session.commit()
    return redirect(_room_url(room), code=303)


@bp.post("/rooms/<int:room_id>/interactions/<int:interaction_id>/publish")
def publish(room_id: int, interaction_id: int):
    room, access = _load_room_for_editing(room_id)
    interaction = _load_interaction(room, interaction_id)
    return _change_status(
        room,
        lambda now: interaction_services.publish_interaction(
            db.session, interaction, cc_enabled=access.cc_enabled, now=now
        ),
    )


@bp.post("/rooms/<int:room_id>/interactions/<int:interaction_id>/schedule")
def schedule(room_id: int, interaction_id: int):
    room, access = _load_room_for_editing(room_id)
    interaction = _load_interaction(room, interaction_id)
    form = ScheduleForm()
    return _change_status(
        room,
        lambda now: interaction_services.schedule_interaction(
            db.session, interaction, form.scheduled_at.data, cc_enabled=access.cc_enabled, now=now
        ),
    )


@bp.post("/rooms/<int:room_id>/interactions/<int:interaction_id>/unschedule")
def unschedule(room_id: int, interaction_id: int):
    room, _access = _load_room_for_editing(room_id)
    interaction = _load_interaction(room, interaction_id)
    return _change_status(room, lambda now: interaction_services.unschedule_interaction(db.session, interaction, now=now))


@bp.post("/rooms/<int:room_id>/interactions/<int:interaction_id>/close")
def close(room_id: int, interaction_id: int):
    room, _access = _load_room_for_editing(room_id)
    interaction = _load_interaction(room, interaction_id)
    return _change_status(room, lambda now: interaction_services.close_interaction(db.session, interaction, now=now))


@bp.post("/rooms/<int:room_id>/interactions/<int:interaction_id>/reopen")
def reopen(room_id: int, interaction_id: int):
    room, access = _load_room_for_editing(room_id)
    interaction = _load_interaction(room, interaction_id)
    return _change_status(
        room,
        lambda now: interaction_services.reopen_interaction(
            db.session, interaction, cc_enabled=access.cc_enabled, now=now
        ),
    )


@bp.post("/rooms/<int:room_id>/interactions/<int:interaction_id>/delete")
def delete(room_id: int, interaction_id: int):
    room, access = _load_room_for_editing(room_id)
    interaction = _load_interaction(room, interaction_id)
    return _change_status(
        room, lambda now: interaction_services.delete_interaction(db.session, interaction, access.user, now=now)
    )


@bp.post("/rooms/<int:room_id>/interactions/<int:interaction_id>/responses")
def answer(room_id: int, interaction_id: int):
    room, access = load_room(room_id)
    interaction = _load_interaction(room, interaction_id)
    now = utcnow()
    can_edit = permissions.can_edit_room(db.session, access, room)
    if not can_edit and not is_visible_to_participants(interaction, now):
        abort(404)
    if not permissions.can_answer_interactions(db.session, access, room):
        error = RoomPermissionDenied(_("Only learners of this course can answer polls and quizzes."))
        return _render_answer_error(room, error)

    form = AnswerForm()
    try:
        interaction_services.record_response(
            db.session, interaction, access.user, form.choice.data or [], cc_enabled=access.cc_enabled, now=now
        )
    except RoomError as error:
        db.session.rollback()
        return _render_answer_error(room, error)

    db.session.commit()
    return redirect(_room_url(room), code=303)


@bp.get("/rooms/<int:room_id>/interactions/<int:interaction_id>/results.json")
def results(room_id: int, interaction_id: int):
    room, _access = _load_room_for_editing(room_id)
    interaction = _load_interaction(room, interaction_id)
    if interaction.kind == InteractionKind.ANNOUNCEMENT:
        abort(404)

    tally = results_by_interaction(db.session, [interaction])[interaction.id]
    options = []
    for option in tally.options:
        entry = {"index": option.index, "label": option.label, "count": option.count}
        if interaction.kind == InteractionKind.QUIZ:
            entry["correct"] = option.correct
        options.append(entry)
    return {
        "id": interaction.id,
        "kind": interaction.kind.value,
        "title": interaction.title,
        "status": effective_status(interaction, utcnow()).value,
        "responses": tally.responses,
        "correct_responses": tally.correct_responses,
        "options": options,
    }
