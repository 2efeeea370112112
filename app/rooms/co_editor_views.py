"""Co-editor management pages of a room (owner and LMS administrators)."""

from flask import Blueprint, abort, redirect, render_template, request, url_for

from app.extensions import db
from app.rooms import co_editors, permissions
from app.rooms.exceptions import RoomError
from app.rooms.views import load_room

bp = Blueprint("co_editors", __name__)


def _load_managed_room(room_id: int):
    room, access = load_room(room_id)
    if not permissions.can_manage_owner_rights(access, room):
        abort(403)
    return room, access


def _render(room, *, error: str | None = None, status: int = 200, refresh: bool = False):
    candidates, roster_message = co_editors.list_candidates(db.session, room, refresh_roster=refresh)
    return render_template(
        "rooms/co_editors.html",
        room=room,
        co_editor_users=co_editors.list_co_editors(db.session, room),
        candidates=candidates,
        roster_message=roster_message,
        error=error,
        page_url=url_for("co_editors.manage", room_id=room.id),
    ), status


@bp.get("/rooms/<int:room_id>/co-editors")
def manage(room_id: int):
    room, _access = _load_managed_room(room_id)
    return _render(room, refresh=request.args.get("refresh") == "1")


@bp.post("/rooms/<int:room_id>/co-editors")
def add(room_id: int):
    room, access = _load_managed_room(room_id)
    try:
        co_editors.add_co_editor(db.session, room, request.form.get("candidate", ""), access.user)
    except RoomError as error:
        db.session.rollback()
        return _render(room, error=error.message, status=error.status)
    db.session.commit()
    return redirect(url_for("co_editors.manage", room_id=room.id), code=303)


@bp.post("/rooms/<int:room_id>/co-editors/<int:user_id>/remove")
def remove(room_id: int, user_id: int):
    room, access = _load_managed_room(room_id)
    try:
        co_editors.remove_co_editor(db.session, room, user_id, access.user)
    except RoomError as error:
        db.session.rollback()
        return _render(room, error=error.message, status=404)
    db.session.commit()
    return redirect(url_for("co_editors.manage", room_id=room.id), code=303)
