"""Pages for LMS links: the copy flow's choice, linking a plain link to a room, and Clone all."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from app.auth.access import course_access_or_404, current_access
from app.auth.launch_session import current_launch_claims
from app.cloning.tasks import enqueue_clone
from app.extensions import db
from app.models import CloneBatch, Placement, PlacementResolution, ResolutionChoice, Room
from app.placements import actions, services
from app.rooms.exceptions import RoomError

bp = Blueprint("placements", __name__)


def load_placement(placement_id: int) -> tuple[Placement, object]:
    access = current_access()
    placement = db.session.get(Placement, placement_id)
    if placement is None or placement.course_id != access.course.id:
        abort(404)
    return placement, access


def offered_room(placement: Placement, user_id: int) -> Room | None:
    """Return the room the copy flow offered this user for the link, as recorded at launch."""
    resolution = db.session.scalars(
        select(PlacementResolution)
        .where(
            PlacementResolution.placement_id == placement.id,
            PlacementResolution.user_id == user_id,
            PlacementResolution.choice == ResolutionChoice.OFFERED,
        )
        .order_by(PlacementResolution.id.desc())
    ).first()
    return db.session.get(Room, resolution.named_room_id) if resolution and resolution.named_room_id else None


def render_copy_choice(destination: services.Destination, access, status: int = 200, error: str = ""):
    source = destination.clone_source
    return render_template(
        "placements/copy_choice.html",
        placement=destination.placement,
        source=source,
        source_course=db.session.get(type(access.course), source.course_id),
        can_clone=destination.can_clone,
        may_see_source=destination.may_see_source,
        has_evidence=destination.has_evidence,
        cc_enabled=access.cc_enabled,
        error=error,
        page_url=url_for("placements.choose", placement_id=destination.placement.id),
    ), status


def render_not_set_up():
    return render_template("placements/not_set_up.html"), 200


@bp.get("/placements/<int:placement_id>")
def choose(placement_id: int):
    """Show the copy flow's choice again, or open the room the link now opens."""
    placement, access = load_placement(placement_id)
    if placement.room_id is not None:
        return redirect(url_for("rooms.show", room_id=placement.room_id), code=303)
    named = offered_room(placement, access.user.id)
    if named is None:
        abort(404)
    context = services.LaunchContext(placement.platform_id, access.course, access.user, access.is_instructor, access.is_lms_admin, access.cc_enabled)
    destination = services.describe_copy_choice(db.session, context, placement, named)
    return render_copy_choice(destination, access)


@bp.post("/placements/<int:placement_id>/resolve")
def resolve(placement_id: int):
    placement, access = load_placement(placement_id)
    named = offered_room(placement, access.user.id)
    if named is None and placement.room_id is None:
        abort(404)
    try:
        room, job = actions.resolve_copied_link(
            db.session,
            access,
            placement,
            choice=request.form.get("choice", ""),
            idempotency_key=request.form.get("idempotency_key", ""),
            claims_room=named,
        )
    except actions.AlreadyResolved as resolved:
        db.session.rollback()
        return redirect(url_for("rooms.show", room_id=resolved.room.id), code=303)
    except RoomError as error:
        db.session.rollback()
        context = services.LaunchContext(placement.platform_id, access.course, access.user, access.is_instructor, access.is_lms_admin, access.cc_enabled)
        destination = services.describe_copy_choice(db.session, context, placement, named)
        return render_copy_choice(destination, access, error.status, error.message)
    db.session.commit()

    if job is not None:
        enqueue_clone(job.id)
        return redirect(url_for("cloning.panel", job_id=job.id), code=303)
    return redirect(url_for("rooms.show", room_id=room.id), code=303)


@bp.post("/placements/<int:placement_id>/link")
def link(placement_id: int):
    placement, access = load_placement(placement_id)
    room = db.session.get(Room, request.form.get("room_id", type=int) or 0)
    if room is None or room.course_id != access.course.id:
        abort(404)
    try:
        actions.link_placement_to_room(db.session, access, placement, room)
    except actions.AlreadyResolved as resolved:
        db.session.rollback()
        return redirect(url_for("rooms.show", room_id=resolved.room.id), code=303)
    except RoomError as error:
        db.session.rollback()
        abort(error.status)
    db.session.commit()
    return redirect(url_for("rooms.show", room_id=room.id), code=303)


@bp.post("/courses/<int:course_id>/clone-all")
def clone_all(course_id: int):
    access = course_access_or_404(course_id)
    try:
        batch = actions.clone_all(db.session, access, request.form.get("idempotency_key", ""))
    except RoomError as error:
        db.session.rollback()
        return render_template("errors/error.html", title=error.message, message=error.message, detail="", status=error.status), error.status
    db.session.commit()
    for job in actions.batch_jobs(db.session, batch):
        if job.status.value == "queued":
            enqueue_clone(job.id)
    return redirect(url_for("placements.batch", batch_id=batch.id), code=303)


@bp.get("/clone-batches/<int:batch_id>")
def batch(batch_id: int):
    access = current_access()
    clone_batch = db.session.get(CloneBatch, batch_id)
    if clone_batch is None or clone_batch.course_id != access.course.id or clone_batch.requested_by_id != access.user.id:
        abort(404)
    jobs = actions.batch_jobs(db.session, clone_batch)
    wants_json = request.accept_mimetypes.best == "application/json"
    if wants_json:
        return {
            "batch_id": clone_batch.id,
            "rooms": [
                {"job_id": job.id, "room_id": job.target_room_id, "name": job.target_room.name, "status": job.status.value}
                for job in jobs
            ],
        }
    return render_template(
        "placements/batch.html",
        clone_batch=clone_batch,
        jobs=jobs,
        page_url=url_for("placements.batch", batch_id=clone_batch.id),
    )


def current_placement_for_list(access) -> Placement | None:
    """Return the unbound LMS link this session was launched from, for the room list's link chooser."""
    claims = current_launch_claims()
    if claims is None or claims.placement_id is None:
        return None
    placement = db.session.get(Placement, claims.placement_id)
    if placement is None or placement.course_id != access.course.id or placement.room_id is not None:
        return None
    return placement
