"""The LMS administration page: deployments, C&C switches, the approval queue and rejected launches.

An LMS administrator can open only the page of the platform they launched from. Another
platform's page, or a deployment of another platform, returns 404 so that ids
leak nothing; users who are not LMS administrators get 403.
"""

import logging

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.admin import services
from app.admin.forms import CcSwitchForm, DeploymentDecisionForm, EmbeddingForm
from app.auth.access import CourseAccess, current_access
from app.extensions import db
from app.lti.platforms import InvalidRegistration, check_frame_origins, check_origin
from app.lti.registration_values import moodle_manual_values, tool_urls
from app.models import Deployment, Platform
from app.security import frame_ancestors

logger = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _load_platform(platform_id: int) -> tuple[Platform, CourseAccess]:
    access = current_access()
    if not access.is_lms_admin:
        abort(403)
    if platform_id != access.identity.platform_id:
        abort(404)
    platform = db.session.get(Platform, platform_id)
    if platform is None:
        abort(404)
    return platform, access


def _load_deployment(platform: Platform, deployment_pk: int) -> Deployment:
    deployment = services.find_deployment(db.session, platform, deployment_pk)
    if deployment is None:
        abort(404)
    return deployment


def _render(platform: Platform, *, error: str | None = None, status: int = 200, embedding_form: EmbeddingForm | None = None):
    if embedding_form is None:
        embedding_form = EmbeddingForm(
            frame_origins=platform.frame_origins, storage_target_origin=platform.storage_target_origin or ""
        )
    base_url = (current_app.config.get("ROOMS_BASE_URL") or request.url_root).rstrip("/")
    page = request.args.get("page", 1, type=int) or 1
    return render_template(
        "admin/platform.html",
        platform=platform,
        pending=services.pending_deployments(db.session, platform),
        deployments=services.decided_deployments(db.session, platform),
        rejections=services.rejected_launches(db.session, platform, page),
        rejection_count=services.count_rejected_launches(db.session, platform),
        urls=tool_urls(base_url),
        moodle_values=moodle_manual_values(base_url),
        error=error,
        embedding_form=embedding_form,
        page_url=url_for("admin.platform_page", platform_id=platform.id, page=page if page > 1 else None),
    ), status


@bp.get("/platforms/<int:platform_id>")
def platform_page(platform_id: int):
    platform, _access = _load_platform(platform_id)
    return _render(platform)


@bp.post("/platforms/<int:platform_id>/deployments/<int:deployment_pk>/cc")
def set_cc(platform_id: int, deployment_pk: int):
    platform, access = _load_platform(platform_id)
    deployment = _load_deployment(platform, deployment_pk)

    form = CcSwitchForm()
    if not form.validate_on_submit():
        return _render(platform, error=_("The C&C switch was not changed: the form was invalid."), status=400)

    services.set_cc_enabled(db.session, deployment, form.enabled.data == "on", access.user)
    db.session.commit()
    return redirect(url_for("admin.platform_page", platform_id=platform.id), code=303)


@bp.post("/platforms/<int:platform_id>/deployments/<int:deployment_pk>/decision")
def decide(platform_id: int, deployment_pk: int):
    platform, access = _load_platform(platform_id)
    deployment = _load_deployment(platform, deployment_pk)

    form = DeploymentDecisionForm()
    if not form.validate_on_submit():
        return _render(platform, error=_("The deployment was not changed: the form was invalid."), status=400)

    try:
        if form.decision.data == "approve":
            services.approve_deployment(db.session, deployment, access.user)
        else:
            services.reject_deployment(db.session, deployment, access.user)
    except services.DeploymentDecisionError as error:
        db.session.rollback()
        return _render(platform, error=error.message, status=error.status)
    db.session.commit()
    return redirect(url_for("admin.platform_page", platform_id=platform.id), code=303)


@bp.post("/platforms/<int:platform_id>/embedding")
def set_embedding(platform_id: int):
    platform, access = _load_platform(platform_id)

    form = EmbeddingForm()
    if not form.validate_on_submit():
        return _render(platform, error=_("The frame origins were not changed: the form was invalid."), status=400, embedding_form=form)
    try:
        origins = check_frame_origins((form.frame_origins.data or "").split())
        storage_origin = (form.storage_target_origin.data or "").strip()
        if storage_origin:
            storage_origin = check_origin(storage_origin, _("storage target origin"), wildcard=False)
    except InvalidRegistration as error:
        return _render(platform, error=str(error), status=400, embedding_form=form)

    platform.frame_origins = " ".join(origins)
    platform.storage_target_origin = storage_origin or None
    db.session.commit()
    # This process frames with the new origins at once; the others within FRAME_ANCESTORS_CACHE_SECONDS.
    frame_ancestors.invalidate()
    logger.info(
        "Platform %s frame origins set to %r and storage target origin to %r by user %s",
        platform.id,
        platform.frame_origins,
        platform.storage_target_origin,
        access.user.id,
    )
    return redirect(url_for("admin.platform_page", platform_id=platform.id), code=303)
