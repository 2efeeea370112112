"""The course page: the rooms of the course of the current launch."""

from flask import Blueprint, render_template, url_for

from app.auth.access import course_access_or_404
from app.extensions import db
from app.rooms import permissions
from app.rooms.queries import rooms_visible_to

bp = Blueprint("courses", __name__)


@bp.get("/courses/<int:course_id>/rooms")
def room_list(course_id: int):
    access = course_access_or_404(course_id)
    rooms = rooms_visible_to(db.session, access)
    return render_template(
        "courses/room_list.html",
        access=access,
        course=access.course,
        rooms=rooms,
        can_create=permissions.can_create_room(access),
        page_url=url_for("courses.room_list", course_id=course_id),
    )
