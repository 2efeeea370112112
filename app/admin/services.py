"""LMS administrators' actions on the deployments of their own platform.

The functions flush and never commit; the views commit. They trust that the
caller checked that the acting user is an LMS administrator of ``platform``.
"""

import logging
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Deployment, DeploymentStatus, Platform, RejectedLaunch, User
from app.models.base import utcnow

logger = logging.getLogger(__name__)

REJECTED_LAUNCHES_PER_PAGE = 25


class DeploymentDecisionError(Exception):
    """A deployment status change that is not allowed; ``message`` is the reason."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class RejectedLaunchPage:
    rows: list[RejectedLaunch]
    page: int
    has_next: bool


def find_deployment(session: Session, platform: Platform, deployment_pk: int) -> Deployment | None:
    """Return the deployment row ``deployment_pk`` if it belongs to ``platform``."""
    return session.scalars(
        select(Deployment).where(Deployment.id == deployment_pk, Deployment.platform_id == platform.id)
    ).first()


def pending_deployments(session: Session, platform: Platform) -> list[Deployment]:
    """Return the platform's deployments that wait for approval, oldest first."""
    return list(
        session.scalars(
            select(Deployment)
            .where(Deployment.platform_id == platform.id, Deployment.status == DeploymentStatus.PENDING)
            .order_by(Deployment.created_at, Deployment.id)
        )
    )


def decided_deployments(session: Session, platform: Platform) -> list[Deployment]:
    """Return the platform's active and rejected deployments, in the order they were first seen."""
    return list(
        session.scalars(
            select(Deployment)
            .where(Deployment.platform_id == platform.id, Deployment.status != DeploymentStatus.PENDING)
            .order_by(Deployment.id)
        )
    )


def set_cc_enabled(session: Session, deployment: Deployment, enabled: bool, actor: User) -> None:
    """Turn chat and collaboration (C&C) on or off for every course of the deployment."""
    if deployment.cc_enabled == enabled:
        return
    deployment.cc_enabled = enabled
    session.flush()
    logger.info(
        "LMS administrator %s turned C&C %s for deployment %s of platform %s",
        actor.id,
        "on" if enabled else "off",
        deployment.deployment_id,
        deployment.platform_id,
    )


def approve_deployment(session: Session, deployment: Deployment, actor: User) -> None:
    """Make a pending or rejected deployment active, so that its launches are accepted."""
    if deployment.status == DeploymentStatus.ACTIVE:
        raise DeploymentDecisionError(_("Deployment %(deployment)s is already active.", deployment=deployment.deployment_id))
    _decide(session, deployment, DeploymentStatus.ACTIVE, actor)


def reject_deployment(session: Session, deployment: Deployment, actor: User) -> None:
    """Reject a pending deployment: its launches stay rejected."""
    if deployment.status != DeploymentStatus.PENDING:
        raise DeploymentDecisionError(
            _("Deployment %(deployment)s is not waiting for approval, so it cannot be rejected.", deployment=deployment.deployment_id)
        )
    _decide(session, deployment, DeploymentStatus.REJECTED, actor)


def rejected_launches(session: Session, platform: Platform, page: int) -> RejectedLaunchPage:
    """Return one page of the platform's rejected logins and launches, newest first."""
    page = max(page, 1)
    rows = list(
        session.scalars(
            select(RejectedLaunch)
            .where(RejectedLaunch.platform_id == platform.id)
            .order_by(RejectedLaunch.created_at.desc(), RejectedLaunch.id.desc())
            .offset((page - 1) * REJECTED_LAUNCHES_PER_PAGE)
            .limit(REJECTED_LAUNCHES_PER_PAGE + 1)
        )
    )
    return RejectedLaunchPage(
        rows=rows[:REJECTED_LAUNCHES_PER_PAGE], page=page, has_next=len(rows) > REJECTED_LAUNCHES_PER_PAGE
    )


def count_rejected_launches(session: Session, platform: Platform) -> int:
    return session.scalar(select(func.count(RejectedLaunch.id)).where(RejectedLaunch.platform_id == platform.id)) or 0


def _decide(session: Session, deployment: Deployment, status: DeploymentStatus, actor: User) -> None:
    previous = deployment.status
    deployment.status = status
    deployment.decided_at = utcnow()
    session.flush()
    logger.info(
        "LMS administrator %s changed deployment %s of platform %s from %s to %s",
        actor.id,
        deployment.deployment_id,
        deployment.platform_id,
        previous.value,
        status.value,
    )
