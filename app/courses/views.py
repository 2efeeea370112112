"""The course page: the rooms of the course of the current launch."""

from flask import Blueprint, render_template, request, url_for

from app.auth.access import course_access_or_404
from app.extensions import db
from app.rooms import permissions
from app.placements.services import copy_sources
from app.placements.views import current_placement_for_list
from app.rooms.queries import rooms_visible_to, search_rooms

bp = Blueprint("courses", __name__)


@bp.get("/courses/<int:course_id>/rooms")
def room_list(course_id: int):
    access = course_access_or_404(course_id)
    room_page = search_rooms(
        db.session,
        access,
        query=request.args.get("q", ""),
        page=request.args.get("page", 1, type=int) or 1,
    )
    is_staff = permissions.is_course_staff(access)
    link_placement = current_placement_for_list(access) if is_staff else None
    linkable_rooms = []
    if link_placement is not None:
        # The page already holds every room when there is one page and no search.
        whole_list = not room_page.query and room_page.pages == 1
        linkable_rooms = room_page.rooms if whole_list else rooms_visible_to(db.session, access)
    return render_template(
        "courses/room_list.html",
        access=access,
        course=access.course,
        room_page=room_page,
        can_create=permissions.can_create_room(access),
        link_placement=link_placement,
        linkable_rooms=linkable_rooms,
        copied_from=copy_sources(db.session, access.course)[:1] if is_staff else [],
        page_url=url_for("courses.room_list", course_id=course_id, q=room_page.query or None, page=room_page.page if room_page.page > 1 else None),
    )


@bp.get("/")
def index():
    """Say what the tool is to someone who opens its address directly."""
    from app.lti.registration_values import tool_urls

    return render_template("index.html", urls=tool_urls(request.host_url))
