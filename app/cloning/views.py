"""Clone room: the request, the "Clone room in progress" panel and its status endpoint."""

import logging

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.auth.access import current_access
from app.cloning import services
from app.cloning.progress import get_progress
from app.cloning.tasks import enqueue_clone
from app.extensions import db
from app.models import CloneJob, CloneJobStatus
from app.rooms import permissions
from app.rooms import services as room_services
from app.rooms.exceptions import RoomError
from app.rooms.forms import RoomForm
from app.rooms.views import load_room, render_room_error

logger = logging.getLogger(__name__)

bp = Blueprint("cloning", __name__)


def load_job(job_id: int) -> tuple[CloneJob, object]:
    """Return the job and the access; only editors of its target room see it, others get 404."""
    access = current_access()
    job = db.session.get(CloneJob, job_id)
    if job is None or job.target_room.course_id != access.course.id:
        abort(404)
    if not permissions.can_edit_room(db.session, access, job.target_room):
        abort(404)
    return job, access


@bp.post("/rooms/<int:room_id>/clone")
def request_clone(room_id: int):
    source, access = load_room(room_id)
    try:
        job, created = services.request_clone(db.session, access, source, request.form.get("idempotency_key", ""))
    except RoomError as error:
        db.session.rollback()
        logger.info("Clone of room %s refused for user %s: %s", source.id, access.user.id, error.message)
        return render_room_error(source, error.message, error.status)
    db.session.commit()

    if created:
        enqueue_clone(job.id)
    return redirect(url_for("cloning.panel", job_id=job.id), code=303)


def _render_panel(job: CloneJob, form: RoomForm, status: int = 200):
    return render_template(
        "cloning/panel.html",
        job=job,
        room=job.target_room,
        form=form,
        progress=get_progress(job.id),
        page_url=url_for("cloning.panel", job_id=job.id),
    ), status


@bp.get("/clones/<int:job_id>")
def panel(job_id: int):
    job, _access = load_job(job_id)
    form = RoomForm(obj=job.target_room)
    form.tags.data = ", ".join(job.target_room.tag_names)
    return _render_panel(job, form)


@bp.post("/clones/<int:job_id>/details")
def save_details(job_id: int):
    """Save the new room's name, description and tags, while the job runs or after."""
    job, _access = load_job(job_id)
    form = RoomForm()
    if not form.validate():
        return _render_panel(job, form, 422)
    try:
        room_services.update_room_details(
            db.session, job.target_room, name=form.name.data, description=form.description.data, tags=form.tags.data
        )
    except RoomError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return _render_panel(job, form, error.status)
    db.session.commit()
    return redirect(url_for("cloning.panel", job_id=job.id, saved=1), code=303)


@bp.get("/clones/<int:job_id>/status")
def status(job_id: int):
    job, _access = load_job(job_id)
    progress = get_progress(job.id) or {}
    if job.status == CloneJobStatus.SUCCEEDED:
        percent = 100
    elif job.status == CloneJobStatus.QUEUED:
        percent = 0
    else:
        percent = progress.get("percent", 0)
    return jsonify(
        job_id=job.id,
        status=job.status.value,
        stage=progress.get("stage", job.status.value),
        percent=percent,
        error=job.error if job.status == CloneJobStatus.FAILED else "",
        room_url=url_for("rooms.show", room_id=job.target_room_id),
        room_name=job.target_room.name,
    )


@bp.post("/clones/<int:job_id>/retry")
def retry(job_id: int):
    job, _access = load_job(job_id)
    try:
        services.retry_job(db.session, job)
    except RoomError as error:
        db.session.rollback()
        return render_room_error(job.target_room, error.message, error.status)
    db.session.commit()
    enqueue_clone(job.id)
    return redirect(url_for("cloning.panel", job_id=job.id), code=303)


@bp.get("/notifications")
def notifications():
    from app.cloning.notifications import list_notifications

    access = current_access()
    return render_template(
        "cloning/notifications.html",
        notifications=list_notifications(db.session, access),
        page_url=url_for("cloning.notifications"),
        title=_("Notifications"),
    )


@bp.post("/notifications/read")
def mark_notifications_read():
    from app.cloning.notifications import mark_all_read

    access = current_access()
    mark_all_read(db.session, access)
    db.session.commit()
    return redirect(url_for("cloning.notifications"), code=303)
