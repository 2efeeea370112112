"""Room pages: create, open, edit, show or hide, delete and transfer a room."""

from datetime import UTC

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.access import course_access_or_404, current_access
from app.extensions import db
from app.models import CloneJob, CourseMembership, CourseRole, Room, RoomStatus, User
from app.models.base import utcnow
from app.rooms import assets, interactions, permissions, services, storyboard
from app.rooms import settings as room_settings
from app.rooms.exceptions import RoomError
from app.rooms.forms import RoomForm, TransferForm, VisibilityForm

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
        interactions=interactions.interaction_cards(db.session, room, access, editor=can_edit, now=utcnow()),
        can_manage=permissions.can_manage_owner_rights(access, room),
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
        page_url=url_for("rooms.show", room_id=room.id),
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
    status = 200
    if form.validate_on_submit():
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
        title=_("Edit %(name)s", name=room.name),
        action=url_for("rooms.edit", room_id=room.id),
        page_url=url_for("rooms.edit", room_id=room.id),
    ), status


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
    return render_template("rooms/action_error.html", room=room, message=message, status=status), status
