"""Checks that a login or launch was rejected the way the tool promises.

A rejected login or launch responds with the error page that renders inside the
LMS iframe, logs the reason with the issuer and client id, issues no launch
session, and leaves the people and course tables as they were.
"""

import html
import logging

from sqlalchemy import select

from app.auth.launch_session import TOKEN_COOKIE
from app.extensions import db
from app.models import Base

# The tables whose rows a launch creates or refreshes, and a rejected launch must leave unchanged.
LAUNCH_TABLES = ("user", "identity", "course", "course_membership")
REJECTION_LOGGER = "app.lti.views"


def page_content(page: str) -> str:
    """Return the page's <main> element, without the head's launch and CSRF tokens, for failure messages."""
    start = page.find("<main")
    end = page.find("</main>")
    return page[start:end + len("</main>")] if start != -1 and end != -1 else "(the page has no <main> element)"


def snapshot_rows(app) -> dict[str, list[tuple]]:
    """Return every row of the launch tables, ordered by id."""
    snapshot = {}
    with app.app_context():
        for name in LAUNCH_TABLES:
            table = Base.metadata.tables[name]
            snapshot[name] = [tuple(row) for row in db.session.execute(select(table).order_by(table.c.id))]
    return snapshot


class RejectionCheck:
    """Compares the launch tables and the log before and after a rejected request."""

    def __init__(self, app, caplog):
        self.app = app
        self.caplog = caplog
        self.caplog.set_level(logging.INFO)
        self.rows_before = snapshot_rows(app)
        # The check is created during the test's set-up. It reads the log records
        # of the test's call phase, starting after the last one it checked.
        self._log_offset = 0

    def take_snapshot(self) -> None:
        """Compare later rejections with the tables as they are now, after an accepted launch."""
        self.rows_before = snapshot_rows(self.app)
        self._log_offset = len(self.caplog.get_records("call"))

    def rejection_messages(self, stage: str) -> list[str]:
        """Return the rejection log messages of ``stage`` written since the last check."""
        prefix = f"LTI {stage} rejected ("
        return [
            record.getMessage()
            for record in self.caplog.get_records("call")[self._log_offset:]
            if record.name == REJECTION_LOGGER and record.getMessage().startswith(prefix)
        ]

    def assert_rejected(
        self,
        response,
        *,
        reason: str,
        issuer: str,
        client_id: str,
        stage: str = "launch",
        status: int | None = None,
    ) -> str:
        """Assert every part of a rejection; return the page text for further checks.

        ``reason`` is a fragment of the reason that the log line and the page's
        details for the LMS administrator must both contain.
        """
        page = html.unescape(response.get_data(as_text=True))

        if status is None:
            assert response.status_code in (400, 401), f"status {response.status_code}, page: {page_content(page)}"
        else:
            assert response.status_code == status, f"status {response.status_code}, page: {page_content(page)}"
        assert response.mimetype == "text/html"
        assert 'class="error-panel"' in page, page_content(page)
        assert reason in page, f"the page does not show the reason {reason!r}: {page_content(page)}"

        # The page renders inside the platform's iframe.
        assert "X-Frame-Options" not in response.headers
        content_security_policy = response.headers.get("Content-Security-Policy", "")
        frame_ancestors = content_security_policy.partition("frame-ancestors")[2].split(";")[0].split()
        assert "https://lms.test" in frame_ancestors, content_security_policy

        # No launch session: no token cookie, and no token in the page.
        token_cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith(TOKEN_COOKIE + "=")]
        assert token_cookies == []
        assert '<meta name="launch-token" content="">' in page

        messages = self.rejection_messages(stage)
        assert len(messages) == 1, f"expected one '{stage} rejected' log line, got {messages}"
        assert messages[0].startswith(f"LTI {stage} rejected (iss={issuer}, client_id={client_id},"), messages[0]
        assert reason in messages[0], messages[0]

        rows_after = snapshot_rows(self.app)
        for name in LAUNCH_TABLES:
            assert len(rows_after[name]) == len(self.rows_before[name]), f"rows added to or removed from {name}"
            assert rows_after[name] == self.rows_before[name], f"rows of {name} changed"

        self._log_offset = len(self.caplog.get_records("call"))
        return page
