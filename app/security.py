"""Response headers: framing by registered platforms only, and a script nonce."""

import secrets
import time
from urllib.parse import urlsplit

from flask import Flask, g

from app.extensions import db
from app.models import Platform

FRAME_ANCESTORS_CACHE_SECONDS = 30


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


class FrameAncestors:
    """The registered platforms' origins and their extra frame origins, re-read from the database every few seconds."""

    def __init__(self):
        self._origins: list[str] = []
        self._read_at = 0.0

    def origins(self) -> list[str]:
        if time.monotonic() - self._read_at > FRAME_ANCESTORS_CACHE_SECONDS:
            rows = db.session.execute(db.select(Platform.issuer, Platform.auth_login_url, Platform.frame_origins)).all()
            origins = {origin for row in rows for origin in (_origin(row.issuer), _origin(row.auth_login_url)) if origin}
            # Checked as origins when they were stored, so they cannot end the CSP directive.
            origins.update(origin for row in rows for origin in (row.frame_origins or "").split())
            self._origins = sorted(origins)
            self._read_at = time.monotonic()
        return self._origins

    def invalidate(self) -> None:
        self._read_at = 0.0


frame_ancestors = FrameAncestors()


def script_nonce() -> str:
    if "script_nonce" not in g:
        g.script_nonce = secrets.token_urlsafe(16)
    return g.script_nonce


def init_security_headers(app: Flask) -> None:
    @app.after_request
    def _set_headers(response):
        # A view may widen the framing for its own response by setting g.frame_ancestors.
        ancestors = g.get("frame_ancestors") or " ".join(
            ["'self'", *frame_ancestors.origins(), *app.config["ROOMS_FRAME_ANCESTORS"]]
        )
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'self' 'nonce-{script_nonce()}'; "
            f"style-src 'self'; img-src 'self' data:; media-src 'self'; "
            f"form-action 'self' http: https:; base-uri 'none'; object-src 'none'; "
            f"frame-ancestors {ancestors}"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.pop("X-Frame-Options", None)
        return response
