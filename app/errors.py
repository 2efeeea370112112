"""Error pages that render inside the LMS iframe."""

import logging

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from jinja2.filters import do_filesizeformat
from werkzeug.exceptions import HTTPException

from app.extensions import db

logger = logging.getLogger(__name__)


def _messages(status: int) -> tuple[str, str]:
    if status == 401:
        return (
            _("No session for this page"),
            _(
                "The session has ended, or this page was opened outside the LMS window it belongs to. "
                "Open the tool again from your course in the LMS."
            ),
        )
    if status == 403:
        return _("Not allowed"), _("You do not have permission to do this in this course.")
    if status == 404:
        return _("Not found"), _("This page does not exist, or it belongs to another course.")
    if status == 405:
        return _("Page not available"), _("This address only accepts a form submission. Open the tool again from your course.")
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit:
            return _("File too large"), _(
                "The upload is larger than this tool accepts: at most %(size)s in one request, files and form "
                "fields together. Go back to the room and choose a smaller file.",
                size=format_file_size(limit),
            )
        return _("File too large"), _("The upload is larger than this tool accepts. Go back to the room and choose a smaller file.")
    if status >= 500:
        return (
            _("Something went wrong"),
            _("The tool could not complete the request. Try again; if it keeps failing, tell your LMS administrator."),
        )
    return _("Invalid request"), _("The request could not be processed.")


def format_file_size(size: int) -> str:
    """Return a size in bytes as the room pages write sizes, such as "512.0 MiB"."""
    return do_filesizeformat(size, binary=True)


def render_error(status: int, title: str, message: str, *, detail: str = ""):
    wants_json = request.accept_mimetypes.best == "application/json" or request.path.endswith(".json")
    if wants_json:
        return {"error": title, "message": message, "detail": detail}, status
    return render_template("errors/error.html", title=title, message=message, detail=detail, status=status), status


def init_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        logger.info("CSRF check failed on %s %s: %s", request.method, request.path, error.description)
        return render_error(
            400,
            _("The form has expired"),
            _("Reload the page and try again. If it keeps happening, open the tool again from your course."),
        )

    @app.errorhandler(HTTPException)
    def _http_error(error):
        title, message = _messages(error.code or 500)
        return render_error(error.code or 500, title, message)

    @app.errorhandler(Exception)
    def _unexpected_error(error):
        db.session.rollback()
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        title, message = _messages(500)
        return render_error(500, title, message)
