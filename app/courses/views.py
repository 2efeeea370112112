"""The course page: the rooms of the course of the current launch."""

from flask import Blueprint, render_template, url_for

from app.auth.access import course_access_or_404

bp = Blueprint("courses", __name__)


@bp.get("/courses/<int:course_id>/rooms")
def room_list(course_id: int):
    access = course_access_or_404(course_id)
    return render_template(
        "courses/room_list.html",
        access=access,
        course=access.course,
        page_url=url_for("courses.room_list", course_id=course_id),
    )
