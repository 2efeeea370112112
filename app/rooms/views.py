"""Room pages: create a room, open a room."""

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _

from app.auth.access import course_access_or_404, current_access
from app.extensions import db
from app.models import Room
from app.models.base import utcnow
from app.rooms import assets, interactions, permissions, services, storyboard
from app.rooms.exceptions import RoomError
from app.rooms.forms import RoomForm

bp = Blueprint("rooms", __name__)


def load_room(room_id: int) -> tuple[Room, object]:
    """Return the room and the access to it; a room of another course is a 404."""
    access = current_access()
    room = db.session.get(Room, room_id)
    if room is None or room.course_id != access.course.id:
        abort(404)
    if not permissions.can_open_room(db.session, access, room):
        abort(404)
    return room, access


@bp.route("/courses/<int:course_id>/rooms/new", methods=["GET", "POST"])
def create(course_id: int):
    access = course_access_or_404(course_id)
    if not permissions.can_create_room(access):
        abort(403)

    form = RoomForm()
    status = 200
    if form.validate_on_submit():
        try:
            room = services.create_room(
                db.session,
                access.course,
                access.user,
                name=form.name.data,
                description=form.description.data,
                tags=form.tags.data,
            )
        except RoomError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            status = error.status
        else:
            db.session.commit()
            return redirect(url_for("rooms.show", room_id=room.id), code=303)
    elif form.is_submitted():
        status = 422

    return render_template(
        "rooms/form.html",
        form=form,
        title=_("Create a room"),
        action=url_for("rooms.create", course_id=course_id),
        page_url=url_for("rooms.create", course_id=course_id),
    ), status


@bp.get("/rooms/<int:room_id>")
def show(room_id: int):
    room, access = load_room(room_id)
    can_edit = permissions.can_edit_room(db.session, access, room)
    return render_template(
        "rooms/show.html",
        room=room,
        access=access,
        can_edit=can_edit,
        assets=assets.list_assets(db.session, room),
        storyboard_items=storyboard.list_items(db.session, room),
        interactions=interactions.list_interactions(db.session, room, editor=can_edit, now=utcnow()),
        page_url=url_for("rooms.show", room_id=room.id),
    )
