"""Room pages: create, open, edit, show or hide, delete and transfer a room."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from functools import partial

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.access import course_access_or_404, current_access
from app.extensions import db
from app.models import CloneJob, CourseMembership, CourseRole, Room, RoomStatus, User
from app.models.base import utcnow
from app.rooms import assets, edit_conflicts, interactions, permissions, services, storyboard
from app.rooms import settings as room_settings
from app.rooms.exceptions import RoomError
from app.rooms.forms import RoomForm, TransferForm, VisibilityForm

logger = logging.getLogger(__name__)

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


# Rows per page of each list on the room page: media, storyboard and interactions.
LIST_PAGE_SIZE = 50
# Highest page number taken from a request, so that the offset fits a 64-bit integer.
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class ListPage:
    """One page of a list on the room page; ``argument`` is the query argument that selects the page."""

    items: list
    page: int
    total: int
    argument: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // LIST_PAGE_SIZE))

    @property
    def first_number(self) -> int:
        """The 1-based position of the page's first item in the whole list."""
        return (self.page - 1) * LIST_PAGE_SIZE + 1


def _list_page(argument: str, load: Callable[..., tuple[list, int]]) -> ListPage:
    """Load the page of a list that the request's ``argument`` names; a page past the end shows the first page."""
    page = min(max(request.args.get(argument, 1, type=int), 1), MAX_PAGE)
    items, total = load(offset=(page - 1) * LIST_PAGE_SIZE, limit=LIST_PAGE_SIZE)
    if not items and page > 1:
        page = 1
        items, total = load(offset=0, limit=LIST_PAGE_SIZE)
    return ListPage(items=items, page=page, total=total, argument=argument)


@bp.get("/rooms/<int:room_id>")
def show(room_id: int):
    room, access = load_room(room_id)
    can_edit = permissions.can_edit_room(db.session, access, room)
    now = utcnow()

    # Each list is paginated on its own, so that a room with thousands of
    # interactions renders one page of each list.
    asset_page = _list_page("assets_page", partial(assets.list_assets_page, db.session, room))
    storyboard_page = _list_page("storyboard_page", partial(storyboard.list_items_page, db.session, room))
    interaction_page = _list_page(
        "interactions_page",
        partial(interactions.interaction_cards_page, db.session, room, access, editor=can_edit, now=now),
    )
    # Links to a page of one list keep the pages shown of the other two.
    shown_pages = {
        list_page.argument: list_page.page
        for list_page in (asset_page, storyboard_page, interaction_page)
        if list_page.page > 1
    }

    def list_page_url(list_page: ListPage, page: int) -> str:
        return url_for("rooms.show", room_id=room.id, **{**shown_pages, list_page.argument: page if page > 1 else None})

    return render_template(
        "rooms/show.html",
        room=room,
        access=access,
        can_edit=can_edit,
        assets=asset_page.items,
        asset_page=asset_page,
        # The storyboard's choice of media lists every asset, not only the page shown.
        asset_choices=assets.list_asset_titles(db.session, room) if can_edit else [],
        storyboard_items=storyboard_page.items,
        storyboard_page=storyboard_page,
        interactions=interaction_page.items,
        interaction_page=interaction_page,
        list_page_url=list_page_url,
        can_manage=permissions.can_manage_owner_rights(access, room),
        # Media URLs for learners and viewers stop working once the room is hidden.
        media_learner_view=permissions.opens_room_only_when_available(db.session, access, room),
        visibility_form=VisibilityForm(
            visible=room.visible_to_learners,
            available_from=room.available_from,
            available_until=room.available_until,
        ),
        clones=services.list_clones(db.session, room, access),
        room_settings=room_settings.with_defaults(room.settings),
        can_clone=can_edit and access.cc_enabled and room.status == RoomStatus.READY,
        clone_job=db.session.scalars(select(CloneJob).where(CloneJob.target_room_id == room.id)).first()
        if room.status != RoomStatus.READY
        else None,
        settings_fields=room_settings.FIELDS,
        page_url=url_for("rooms.show", room_id=room.id, **shown_pages),
    )


def _require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def _as_utc(value):
    return value.replace(tzinfo=UTC) if value is not None else None


@bp.route("/rooms/<int:room_id>/edit", methods=["GET", "POST"])
def edit(room_id: int):
    room, access = load_room(room_id)
    _require(permissions.can_edit_room(db.session, access, room))

    form = RoomForm(obj=None if RoomForm().is_submitted() else room)
    if not form.is_submitted():
        form.tags.data = ", ".join(room.tag_names)
        form.original.data = _details_fingerprint(room)
    status = 200
    conflict = None
    if form.validate_on_submit():
        edit_conflicts.lock_row(db.session, room)
        current = _details_fingerprint(room)
        if edit_conflicts.changed_since(form.original.data, current):
            logger.info("Edit of room %s by user %s not saved: the details changed since the form was opened", room.id, access.user.id)
            db.session.rollback()
            conflict = [
                (_("Name"), room.name),
                (_("Description"), room.description or "-"),
                (_("Tags"), ", ".join(room.tag_names) or "-"),
            ]
            form.original.data = current
            status = 409
        else:
            try:
                services.update_room_details(
                    db.session, room, name=form.name.data, description=form.description.data, tags=form.tags.data
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
        conflict=conflict,
        title=_("Edit %(name)s", name=room.name),
        action=url_for("rooms.edit", room_id=room.id),
        page_url=url_for("rooms.edit", room_id=room.id),
    ), status


def _details_fingerprint(room: Room) -> str:
    return edit_conflicts.fingerprint(room.name, room.description, room.tag_names)


@bp.post("/rooms/<int:room_id>/visibility")
def change_visibility(room_id: int):
    room, access = load_room(room_id)
    _require(permissions.can_edit_room(db.session, access, room))

    form = VisibilityForm()
    if not form.validate():
        return render_room_error(room, _("The visibility dates are invalid."), 422)
    try:
        services.set_visibility(
            db.session,
            room,
            visible=form.visible.data,
            available_from=_as_utc(form.available_from.data),
            available_until=_as_utc(form.available_until.data),
        )
    except RoomError as error:
        db.session.rollback()
        return render_room_error(room, error.message, error.status)
    db.session.commit()
    return redirect(url_for("rooms.show", room_id=room.id), code=303)


@bp.post("/rooms/<int:room_id>/delete")
def delete(room_id: int):
    room, access = load_room(room_id)
    _require(permissions.can_manage_owner_rights(access, room))

    services.delete_room(db.session, room, access.user)
    db.session.commit()
    return redirect(url_for("courses.room_list", course_id=room.course_id), code=303)


def _transfer_candidates(room: Room) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(CourseMembership, CourseMembership.user_id == User.id)
            .where(
                CourseMembership.course_id == room.course_id,
                CourseMembership.role == CourseRole.INSTRUCTOR,
                User.id != room.owner_id,
            )
            .order_by(User.name, User.id)
        )
    )


@bp.route("/rooms/<int:room_id>/transfer", methods=["GET", "POST"])
def transfer(room_id: int):
    room, access = load_room(room_id)
    _require(permissions.can_manage_owner_rights(access, room))

    form = TransferForm()
    form.new_owner_id.choices = [(user.id, user.display_name) for user in _transfer_candidates(room)]
    status = 200
    if form.validate_on_submit():
        new_owner = db.session.get(User, form.new_owner_id.data)
        try:
            services.transfer_ownership(db.session, room, new_owner, access.user)
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
        "rooms/transfer.html", room=room, form=form, page_url=url_for("rooms.transfer", room_id=room.id)
    ), status


def render_room_error(room: Room, message: str, status: int):
    """Render the room page's error panel for a rejected action; nothing was changed."""
    # The page's address is the room, so that reloading it does not repeat the form submission.
    return render_template(
        "rooms/action_error.html",
        room=room,
        message=message,
        status=status,
        page_url=url_for("rooms.show", room_id=room.id),
    ), status
