"""Periodic clean-up of used nonces and old rejected launches."""

from datetime import timedelta

from app.extensions import db
from app.lti.tasks import purge_expired_records
from app.models import RejectedLaunch, UsedNonce
from app.models.base import utcnow


def test_purge_keeps_unexpired_nonces(app, test_platform):
    with app.app_context():
        platform_id = db.session.scalar(db.text("SELECT id FROM platform"))
        db.session.add(UsedNonce(platform_id=platform_id, nonce="expired", expires_at=utcnow() - timedelta(seconds=1)))
        db.session.add(UsedNonce(platform_id=platform_id, nonce="current", expires_at=utcnow() + timedelta(minutes=5)))
        db.session.add(RejectedLaunch(stage="launch", reason="old", created_at=utcnow() - timedelta(days=31)))
        db.session.add(RejectedLaunch(stage="launch", reason="recent"))
        db.session.commit()

        assert purge_expired_records() == (1, 1)
        assert db.session.scalars(db.select(UsedNonce.nonce)).all() == ["current"]
        assert db.session.scalars(db.select(RejectedLaunch.reason)).all() == ["recent"]
