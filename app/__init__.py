"""rooms-lti: an LTI 1.3 tool for course rooms."""

import os
from pathlib import Path

from flask import Flask, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import load_settings
from app.database import configure_sqlite
from app.extensions import babel, cache, csrf, db, login_manager, migrate
from app.logging_setup import configure_logging
from app.queue import configure_queue
from app.routing import IdConverter

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _select_locale():
    from app.auth.launch_session import current_launch_claims

    # Jobs and commands run without a request: they use the default locale
    # unless they force the locale of the user they write to.
    if not has_request_context():
        return None
    if current_launch_claims() is not None:
        from flask_login import current_user

        if current_user.is_authenticated and current_user.locale:
            return current_user.locale.replace("-", "_")
    return request.accept_languages.best_match(["en"]) or "en"


def create_app(overrides: dict | None = None) -> Flask:
    # The templates and migrations live beside the package, not in it, so the tool runs
    # from a checkout of the repository (installed with `pip install -e .`), not from a wheel.
    if not (PROJECT_ROOT / "templates").is_dir() or not (PROJECT_ROOT / "migrations").is_dir():
        raise RuntimeError(
            f"The templates/ and migrations/ folders are missing from {PROJECT_ROOT}. Run the tool from a "
            "checkout of its repository, set up with scripts/setup-venv, not from an installed wheel."
        )
    instance_path = os.environ.get("ROOMS_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.url_map.converters["int"] = IdConverter

    # Configuration: the environment first, then explicit overrides (tests).
    app.config.from_mapping(load_settings(instance_path))
    if overrides:
        app.config.update(overrides)
    configure_logging(app.config["ROOMS_LOG_LEVEL"], app.config["ROOMS_LOG_FORMAT"])
    configure_sqlite(app.config["ROOMS_SQLITE_BUSY_TIMEOUT_MS"])
    configure_queue(app.config["ROOMS_REDIS_URL"], app.instance_path)

    if app.config["ROOMS_PROXY_COUNT"]:
        count = app.config["ROOMS_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count, x_prefix=count)

    # Extensions. The launch session hook must run before Flask-WTF's CSRF
    # check, which reads the CSRF secret from the session it fills.
    from app.auth.launch_session import LaunchSessionInterface, load_launch_session

    app.session_interface = LaunchSessionInterface()
    app.before_request(load_launch_session)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    cache.init_app(app)

    from app.auth import access  # noqa: F401  (registers the flask-login request loader)

    # Blueprints.
    from app.admin.views import bp as admin_bp
    from app.auth.views import bp as auth_bp
    from app.cloning.views import bp as cloning_bp
    from app.courses.views import bp as courses_bp
    from app.health import bp as health_bp
    from app.lti.deep_linking import bp as deep_linking_bp
    from app.lti.registration_views import bp as lti_registration_bp
    from app.lti.views import bp as lti_bp
    from app.placements.views import bp as placements_bp
    from app.rooms.asset_views import bp as assets_bp
    from app.rooms.co_editor_views import bp as co_editors_bp
    from app.rooms.interaction_views import bp as interactions_bp
    from app.rooms.settings_views import bp as room_settings_bp
    from app.rooms.storyboard_views import bp as storyboard_bp
    from app.rooms.views import bp as rooms_bp

    app.register_blueprint(lti_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(courses_bp)
    app.register_blueprint(rooms_bp)
    app.register_blueprint(assets_bp)
    app.register_blueprint(interactions_bp)
    app.register_blueprint(storyboard_bp)
    app.register_blueprint(room_settings_bp)
    app.register_blueprint(co_editors_bp)
    app.register_blueprint(cloning_bp)
    app.register_blueprint(placements_bp)
    app.register_blueprint(deep_linking_bp)
    app.register_blueprint(lti_registration_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(health_bp)

    # Pages, errors and headers.
    from app.errors import init_error_handlers
    from app.security import init_security_headers
    from app.templating import init_templating

    init_error_handlers(app)
    init_security_headers(app)
    init_templating(app)

    from app.cli import register_commands

    register_commands(app)
    return app
