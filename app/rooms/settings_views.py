"""Room settings actions: save the settings, regenerate the guest link."""

from flask import Blueprint, abort, redirect, request, url_for

from app.extensions import db
from app.rooms import permissions
from app.rooms import settings as room_settings
from app.rooms.exceptions import RoomError
from app.rooms.views import load_room, render_room_error

bp = Blueprint("room_settings", __name__)


def _load_editable_room(room_id: int):
    room, access = load_room(room_id)
    if not permissions.can_edit_room(db.session, access, room):
        abort(403)
    return room


@bp.post("/rooms/<int:room_id>/settings")
def save(room_id: int):
    room = _load_editable_room(room_id)
    try:
        room.settings = room_settings.parse_form(request.form, room.settings)
    except RoomError as error:
        db.session.rollback()
        return render_room_error(room, error.message, error.status)
    db.session.commit()
    return redirect(url_for("rooms.show", room_id=room.id, _anchor="settings-title"), code=303)


@bp.post("/rooms/<int:room_id>/settings/secrets")
def regenerate_secrets(room_id: int):
    """Replace the guest link token and access codes, so that links already shared stop working."""
    room = _load_editable_room(room_id)
    room.settings = room_settings.regenerate_secrets(room_settings.with_defaults(room.settings))
    db.session.commit()
    return redirect(url_for("rooms.show", room_id=room.id, _anchor="settings-title"), code=303)
