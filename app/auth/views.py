"""Launch session endpoints used by the pages' script."""

from flask import Blueprint, jsonify

from app.auth.access import current_access
from app.auth.launch_session import renewed_token

bp = Blueprint("auth", __name__)


@bp.post("/session/renew")
def renew():
    """Return a fresh launch token for an open page; the old one stays valid until it expires."""
    current_access()
    return jsonify(token=renewed_token())
