"""Storyboard actions of the room page."""

from flask import Blueprint, abort, redirect, request, url_for

from app.extensions import db
from app.models import StoryboardItem
from app.rooms import permissions, storyboard
from app.rooms.exceptions import RoomError
from app.rooms.views import load_room, render_room_error

bp = Blueprint("storyboard", __name__)


def _load_editable_room(room_id: int):
    room, access = load_room(room_id)
    if not permissions.can_edit_room(db.session, access, room):
        abort(403)
    return room


def _load_item(room, item_id: int) -> StoryboardItem:
    item = db.session.get(StoryboardItem, item_id)
    if item is None or item.room_id != room.id:
        abort(404)
    return item


def _back_to_room(room):
    return redirect(url_for("rooms.show", room_id=room.id, _anchor="storyboard-title"), code=303)


@bp.post("/rooms/<int:room_id>/storyboard")
def add(room_id: int):
    room = _load_editable_room(room_id)
    try:
        storyboard.add_item(
            db.session,
            room,
            kind=request.form.get("kind", ""),
            asset_id=request.form.get("asset_id", type=int),
            note=request.form.get("note", ""),
            url=request.form.get("url", ""),
            link_title=request.form.get("link_title", ""),
        )
    except RoomError as error:
        db.session.rollback()
        return render_room_error(room, error.message, error.status)
    db.session.commit()
    return _back_to_room(room)


@bp.post("/rooms/<int:room_id>/storyboard/<int:item_id>/delete")
def remove(room_id: int, item_id: int):
    room = _load_editable_room(room_id)
    item = _load_item(room, item_id)
    storyboard.remove_item(db.session, room, item)
    db.session.commit()
    return _back_to_room(room)


@bp.post("/rooms/<int:room_id>/storyboard/<int:item_id>/move")
def move(room_id: int, item_id: int):
    room = _load_editable_room(room_id)
    item = _load_item(room, item_id)
    try:
        storyboard.move_item(db.session, room, item, request.form.get("direction", ""))
    except RoomError as error:
        db.session.rollback()
        return render_room_error(room, error.message, error.status)
    db.session.commit()
    return _back_to_room(room)
