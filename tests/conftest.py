"""Shared fixtures: an app on a migrated database of its own (SQLite, or PostgreSQL as tests/support/databases.py describes), and a test platform."""

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from app import create_app
from app.extensions import db
from app.lti import keys
from app.lti.platforms import PlatformFields, save_platform
from app.lti.services import record_launch
from app.models import Deployment, DeploymentPolicy, Platform
from app.security import frame_ancestors
from tests.support.databases import configured_redis_url, flush_redis, open_databases
from tests.support.jwks_server import KeySetServer
from tests.support.rejections import RejectionCheck
from tests.support.servers import start_tool
from tests.support.tokens import TestPlatform


@pytest.fixture(scope="session")
def monkeypatch_session():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="session")
def migrated_databases(tmp_path_factory, monkeypatch_session):
    """The session's test databases, SQLite or PostgreSQL, with a template that has every migration applied."""
    template_instance = tmp_path_factory.mktemp("template-instance")
    databases = open_databases(template_instance)
    databases.prepare_template()

    monkeypatch_session.setenv("ROOMS_INSTANCE_PATH", str(template_instance))
    monkeypatch_session.setenv("ROOMS_DATABASE_URL", databases.template_url)
    monkeypatch_session.delenv("ROOMS_REDIS_URL", raising=False)
    app = create_app({"ROOMS_BASE_URL": "http://localhost"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    monkeypatch_session.delenv("ROOMS_DATABASE_URL")

    yield databases
    databases.close()


@pytest.fixture
def tool_database(migrated_databases):
    """Create a database for a tool process with ``create(instance, migrated=True)``; return its settings.

    The settings are the ``ROOMS_*`` variables a tool process needs to use that database,
    the instance folder, and the suite's Redis when one is configured. Every database
    created is dropped after the test.
    """
    created = []

    def create(instance: Path, *, migrated: bool = True) -> dict[str, str]:
        url = migrated_databases.create(instance, migrated=migrated)
        created.append(url)
        settings = {"ROOMS_INSTANCE_PATH": str(instance), "ROOMS_DATABASE_URL": url}
        redis_url = configured_redis_url()
        if redis_url:
            settings["ROOMS_REDIS_URL"] = redis_url
        return settings

    yield create
    for url in created:
        migrated_databases.drop(url)


@pytest.fixture(autouse=True)
def _empty_redis():
    """Start every test with an empty Redis database, when the suite runs on Redis."""
    redis_url = configured_redis_url()
    if redis_url:
        flush_redis(redis_url)


@pytest.fixture
def app(tmp_path, tool_database, monkeypatch):
    for name in ("ROOMS_DATABASE_URL", "ROOMS_REDIS_URL", "ROOMS_SECRET_KEY", "ROOMS_KEY_ENCRYPTION_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in tool_database(tmp_path / "instance").items():
        monkeypatch.setenv(name, value)

    app = create_app({"ROOMS_BASE_URL": "http://localhost", "TESTING": True})
    # The framing origins are cached per process for 30 s; each test has its own database.
    frame_ancestors.invalidate()
    with app.app_context():
        keys.ensure_keys(db.session, app.config["ROOMS_KEY_ENCRYPTION_KEY"])
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def key_server():
    server = KeySetServer()
    yield server
    server.stop()


@pytest.fixture
def test_platform(app, key_server):
    """A platform registered with the tool, whose key set the key server publishes."""
    platform = TestPlatform()
    key_server.keys = [platform.key.public_jwk]
    with app.app_context():
        save_platform(
            db.session,
            PlatformFields(
                issuer=platform.issuer,
                client_id=platform.client_id,
                auth_login_url=f"{platform.issuer}/auth?tenant=7",
                auth_token_url=f"{platform.issuer}/token",
                jwks_url=key_server.url,
                deployment_policy=DeploymentPolicy.APPROVE,
                deployment_ids=[platform.deployment_id],
            ),
        )
        db.session.commit()
    return platform


@pytest.fixture
def known_user(app, test_platform):
    """The id of a user who launched before, recorded as a launch would record them."""
    with app.app_context():
        platform = db.session.scalars(db.select(Platform).where(Platform.issuer == test_platform.issuer)).one()
        deployment = db.session.scalars(
            db.select(Deployment).where(Deployment.platform_id == platform.id)
        ).first()
        launched = record_launch(db.session, platform, deployment, test_platform.claims(nonce="earlier-launch"))
        db.session.commit()
        return launched.user.id


@pytest.fixture
def rejection(app, known_user, caplog):
    """Checks for a rejected request, with the launch tables as they were before it."""
    return RejectionCheck(app, caplog)


@pytest.fixture
def tool_processes(tmp_path):
    """Start tool processes with ``start(env, port=None)``; every one is stopped after the test."""
    started = []

    def start(env: dict[str, str], port: int | None = None):
        tool = start_tool(env, tmp_path / "tool-logs", port=port)
        started.append(tool)
        return tool

    yield start
    for tool in started:
        tool.stop()


def start_login(client, platform: TestPlatform, *, method="GET", **extra):
    """Send a login initiation; return the response and the parsed auth redirect parameters."""
    params = {
        "iss": platform.issuer,
        "login_hint": "hint-1",
        "target_link_uri": "http://localhost/lti/launch",
        "lti_message_hint": "message-hint-1",
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
    }
    params.update(extra)
    params = {name: value for name, value in params.items() if value is not None}
    if method == "GET":
        response = client.get("/lti/login", query_string=params)
    else:
        response = client.post("/lti/login", data=params)
    auth = {}
    if response.status_code in (302, 303):
        auth = {name: values[0] for name, values in parse_qs(urlsplit(response.location).query).items()}
    return response, auth


def complete_launch(client, platform: TestPlatform, auth: dict, *, claims=None, token=None, **claim_values):
    """Post an id_token for a login's state and nonce, as the platform's auto-submitted form does."""
    if token is None:
        claims = claims or platform.claims(nonce=auth["nonce"], **claim_values)
        token = platform.sign(claims)
    return client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})


def launch(client, platform: TestPlatform, *, login_method="GET", **claim_values):
    response, auth = start_login(client, platform, method=login_method)
    assert response.status_code == 302, response.get_data(as_text=True)
    return complete_launch(client, platform, auth, **claim_values)
