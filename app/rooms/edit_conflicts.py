"""Edit conflicts: a form saved over changes that someone else saved after it was opened.

An edit form carries a fingerprint of the stored values it was opened with. On save, the
route locks the row and compares. When the stored values changed meanwhile, the route
saves nothing and responds with 409, the stored values, the person's own input and a new
fingerprint, so that saving again replaces the other person's changes knowingly. A
request without a fingerprint, such as one from a script, skips the check, as an HTTP
request without If-Match does.
"""

import hashlib
import hmac
import json

from sqlalchemy.orm import Session


def fingerprint(*values) -> str:
    """Return a short digest of the values, stable across processes."""
    encoded = json.dumps(values, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]


def lock_row(session: Session, instance) -> None:
    """Reload the instance with a row lock until the transaction ends.

    PostgreSQL takes ``FOR UPDATE``. SQLite has no row locks, and needs none: the
    tool's transactions take its write lock when they begin (``BEGIN IMMEDIATE``).
    """
    session.refresh(instance, with_for_update=True)


def changed_since(submitted: str | None, current: str) -> bool:
    """Return whether the form's fingerprint is present and differs from the stored values' one."""
    return bool(submitted) and not hmac.compare_digest(submitted.encode(), current.encode())
