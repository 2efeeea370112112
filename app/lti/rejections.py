"""The record of rejected logins and launches that LMS administrators see."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Platform, RejectedLaunch


def record_rejection(session: Session, *, stage: str, issuer: str, client_id: str, deployment_id: str, reason: str) -> None:
    platform_id = None
    if issuer and client_id:
        platform_id = session.scalars(
            select(Platform.id).where(Platform.issuer == issuer, Platform.client_id == client_id)
        ).first()
    session.add(
        RejectedLaunch(
            platform_id=platform_id,
            issuer=issuer[:500],
            client_id=client_id[:500],
            deployment_id=deployment_id[:500],
            stage=stage,
            reason=reason[:2000],
        )
    )
    session.flush()
