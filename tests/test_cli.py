"""The platform and keys commands, used the way an LMS administrator runs them."""

import pytest
import requests

from app.extensions import db
from app.models import Platform
from app.security import frame_ancestors
from tests.conftest import launch
from tests.support.servers import run_tool_command, start_tool
from tests.support.tokens import TestPlatform


def add_platform(runner, platform: TestPlatform, jwks_url: str, *extra):
    return runner.invoke(
        args=[
            "platform", "add",
            "--issuer", platform.issuer,
            "--client-id", platform.client_id,
            "--auth-url", f"{platform.issuer}/auth",
            "--token-url", f"{platform.issuer}/token",
            "--jwks-url", jwks_url,
            "--deployment", platform.deployment_id,
            *extra,
        ]
    )


def test_platform_add_used_by_next_launch(app, client, key_server):
    platform = TestPlatform(issuer="https://moodle.example.edu", client_id="cli-client")
    key_server.keys = [platform.key.public_jwk]

    result = add_platform(app.test_cli_runner(), platform, key_server.url)
    assert result.exit_code == 0, result.output
    assert "Added platform" in result.output

    response = launch(client, platform)
    assert response.status_code == 200
    assert "Ada Lovelace" in response.get_data(as_text=True)


def test_platform_list_shows_added_platform(app, key_server):
    platform = TestPlatform(issuer="https://moodle.example.edu", client_id="cli-client")
    runner = app.test_cli_runner()
    add_platform(runner, platform, key_server.url)

    result = runner.invoke(args=["platform", "list"])
    assert result.exit_code == 0
    assert "https://moodle.example.edu" in result.output
    assert "client_id=cli-client" in result.output
    assert f"deployment {platform.deployment_id}: active, C&C on" in result.output


def test_platform_add_twice_updates(app, key_server):
    platform = TestPlatform(issuer="https://moodle.example.edu", client_id="cli-client")
    runner = app.test_cli_runner()
    add_platform(runner, platform, key_server.url)

    result = add_platform(runner, platform, key_server.url, "--policy", "auto")
    assert result.exit_code == 0
    assert "Updated platform" in result.output
    with app.app_context():
        platforms = db.session.scalars(db.select(Platform)).all()
        assert len(platforms) == 1
        assert platforms[0].deployment_policy.value == "auto"


def test_platform_add_again_keeps_omitted_values(app, key_server):
    platform = TestPlatform(issuer="https://moodle.example.edu", client_id="cli-client")
    runner = app.test_cli_runner()
    add_platform(runner, platform, key_server.url, "--policy", "auto", "--audience", "https://moodle.example.edu/aud")

    # An administrator adds a second deployment, giving only the required options.
    result = runner.invoke(
        args=[
            "platform", "add",
            "--issuer", platform.issuer,
            "--client-id", platform.client_id,
            "--auth-url", f"{platform.issuer}/auth",
            "--jwks-url", key_server.url,
            "--deployment", "second-deployment",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        stored = db.session.scalars(db.select(Platform)).one()
        assert stored.auth_token_url == f"{platform.issuer}/token"
        assert stored.auth_audience == "https://moodle.example.edu/aud"
        assert stored.deployment_policy.value == "auto"
        assert sorted(deployment.deployment_id for deployment in stored.deployments) == sorted(
            [platform.deployment_id, "second-deployment"]
        )


def test_platform_add_empty_token_url_clears_it(app, key_server):
    platform = TestPlatform(issuer="https://moodle.example.edu", client_id="cli-client")
    runner = app.test_cli_runner()
    add_platform(runner, platform, key_server.url)

    result = add_platform(runner, platform, key_server.url, "--token-url", "")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(db.select(Platform)).one().auth_token_url == ""


def test_new_platform_gets_approve_policy(app, key_server):
    result = app.test_cli_runner().invoke(
        args=[
            "platform", "add",
            "--issuer", "https://moodle.example.edu",
            "--client-id", "cli-client",
            "--auth-url", "https://moodle.example.edu/auth",
            "--jwks-url", key_server.url,
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        stored = db.session.scalars(db.select(Platform)).one()
        assert stored.deployment_policy.value == "approve"
        assert stored.auth_token_url == ""
        assert stored.auth_audience == ""


@pytest.mark.parametrize(
    ("issuer", "message"),
    [
        ("moodle.example.edu", "is not an http or https URL"),
        ("https://moodle.example.edu/?site=1", "must not contain a query or a fragment"),
        ("https://moodle.example.edu/#top", "must not contain a query or a fragment"),
    ],
)
def test_platform_add_rejects_invalid_issuer(app, key_server, issuer, message):
    result = app.test_cli_runner().invoke(
        args=[
            "platform", "add",
            "--issuer", issuer,
            "--client-id", "cli-client",
            "--auth-url", "https://moodle.example.edu/auth",
            "--jwks-url", key_server.url,
        ]
    )
    assert result.exit_code == 2
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Platform.id))) == 0


def test_platform_add_sets_frame_origins(app, client, key_server):
    platform = TestPlatform(issuer="https://canvas.instructure.com", client_id="cli-client")
    runner = app.test_cli_runner()
    result = add_platform(
        runner, platform, key_server.url,
        "--frame-origins", "https://school.instructure.com",
        "--storage-target-origin", "https://sso.canvaslms.com",
    )
    assert result.exit_code == 0, result.output
    # The CSP that framing pages get names the new origin once the cached list is re-read.
    frame_ancestors.invalidate()
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "https://school.instructure.com" in policy

    # Adding a deployment later keeps them, and an empty value clears them.
    assert add_platform(runner, platform, key_server.url).exit_code == 0
    listed = runner.invoke(args=["platform", "list"]).output
    assert "frame origins: https://school.instructure.com" in listed
    assert "storage target origin: https://sso.canvaslms.com" in listed
    assert add_platform(runner, platform, key_server.url, "--frame-origins", "", "--storage-target-origin", "").exit_code == 0
    with app.app_context():
        stored = db.session.scalars(db.select(Platform)).one()
        assert stored.frame_origins == ""
        assert stored.storage_target_origin is None


def test_platform_add_rejects_invalid_frame_origin(app, key_server):
    result = add_platform(app.test_cli_runner(), TestPlatform(), key_server.url, "--frame-origins", "https://lms.test/path")
    assert result.exit_code == 2
    assert "is not an origin such as" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Platform.id))) == 0


def test_platform_add_rejects_empty_deployment(app, key_server):
    result = add_platform(app.test_cli_runner(), TestPlatform(), key_server.url, "--deployment", " ")
    assert result.exit_code == 2
    assert "A deployment id is empty" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Platform.id))) == 0


def test_platform_add_rejects_credentials_in_url(app, key_server, caplog):
    result = app.test_cli_runner().invoke(
        args=[
            "platform", "add",
            "--issuer", "https://admin:hunter2@moodle.example.edu",
            "--client-id", "cli-client",
            "--auth-url", "https://moodle.example.edu/auth",
            "--jwks-url", key_server.url,
        ]
    )
    assert result.exit_code == 2
    assert "must not contain a user name or password" in result.output
    assert "hunter2" not in result.output
    assert "hunter2" not in caplog.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Platform.id))) == 0


def test_platform_add_warns_of_trailing_slash_twin(app, key_server):
    runner = app.test_cli_runner()
    add_platform(runner, TestPlatform(issuer="https://moodle.example.edu", client_id="cli-client"), key_server.url)

    result = add_platform(runner, TestPlatform(issuer="https://moodle.example.edu/", client_id="cli-client"), key_server.url)

    assert result.exit_code == 0
    assert "differs from this one only by a trailing slash" in result.output


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--issuer", "https://[::1", "is not an http or https URL"),
        ("--auth-url", "https://[x/auth", "is not an http or https URL"),
        ("--token-url", "https://[x", "is not an http or https URL"),
        ("--frame-origins", "https://u:Hunter2pw@school.instructure.com", "must not contain a user name or password"),
        ("--storage-target-origin", "https://u:Hunter2pw@lms.test", "must not contain a user name or password"),
    ],
)
def test_platform_add_rejects_malformed_values(app, key_server, option, value, message):
    fields = {
        "--issuer": "https://moodle.example.edu",
        "--client-id": "cli-client",
        "--auth-url": "https://moodle.example.edu/auth",
        "--jwks-url": key_server.url,
        option: value,
    }
    result = app.test_cli_runner().invoke(args=["platform", "add", *[part for item in fields.items() for part in item]])

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Hunter2pw" not in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Platform.id))) == 0


def test_platform_add_again_gives_no_slash_warning(app, key_server):
    runner = app.test_cli_runner()
    add_platform(runner, TestPlatform(issuer="https://moodle.example.edu/", client_id="client-1"), key_server.url)

    result = add_platform(runner, TestPlatform(issuer="https://moodle.example.edu/", client_id="client-2"), key_server.url)

    assert result.exit_code == 0
    assert "trailing slash" not in result.output


def test_platform_add_prints_lms_values(app, key_server):
    result = add_platform(app.test_cli_runner(), TestPlatform(), key_server.url)
    assert "Tool URL: http://localhost/lti/launch" in result.output
    assert "Public keyset: http://localhost/lti/jwks" in result.output
    assert "Initiate login URL: http://localhost/lti/login" in result.output
    assert "Redirection URI(s): http://localhost/lti/launch" in result.output
    assert "context_history=$Context.id.history" in result.output


def test_platform_add_rejects_invalid_url(app):
    platform = TestPlatform()
    result = add_platform(app.test_cli_runner(), platform, "ftp://lms.test/keys")
    assert result.exit_code == 2
    assert "is not an http or https URL" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Platform.id))) == 0


def test_platform_remove(app, key_server):
    platform = TestPlatform()
    runner = app.test_cli_runner()
    add_platform(runner, platform, key_server.url)

    result = runner.invoke(args=["platform", "remove", platform.issuer, "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Platform.id))) == 0


def test_platform_remove_unknown(app):
    result = app.test_cli_runner().invoke(args=["platform", "remove", "https://nowhere.test", "--yes"])
    assert result.exit_code == 1
    assert "No platform matches" in result.output


def test_keys_rotate_publishes_new_and_previous(app, client):
    before = {key["kid"] for key in client.get("/lti/jwks").get_json()["keys"]}
    with app.app_context():
        from app.lti.keys import active_signing_key

        previous_active = active_signing_key(db.session, app.config["ROOMS_KEY_ENCRYPTION_KEY"]).kid

    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output

    after = {key["kid"] for key in client.get("/lti/jwks").get_json()["keys"]}
    with app.app_context():
        new_active = active_signing_key(db.session, app.config["ROOMS_KEY_ENCRYPTION_KEY"]).kid
    assert new_active != previous_active
    assert new_active in before
    assert new_active in after
    assert previous_active in after
    assert len(after) == 3


@pytest.mark.slow
def test_rotated_keys_same_in_two_processes(tool_database, tmp_path):
    env = tool_database(tmp_path / "shared-instance")

    first = start_tool(env, tmp_path / "logs")
    second = start_tool(env, tmp_path / "logs")
    try:
        before = requests.get(f"{first.url}/lti/jwks", timeout=5).json()
        rotated = run_tool_command(["keys", "rotate"], env)
        new_active = rotated.stdout.split("Active signing key: ", 1)[1].split()[0]

        from_first = requests.get(f"{first.url}/lti/jwks", timeout=5).json()
        from_second = requests.get(f"{second.url}/.well-known/jwks.json", timeout=5).json()
    finally:
        first.stop()
        second.stop()

    kids_before = {key["kid"] for key in before["keys"]}
    kids_after = {key["kid"] for key in from_first["keys"]}
    assert from_first == from_second
    assert new_active in kids_before
    assert kids_before <= kids_after
    assert len(kids_after) == 3


@pytest.mark.slow
def test_keys_create_then_keeps_keys(tool_database, tmp_path):
    settings = tool_database(tmp_path / "deploy-instance")

    first = run_tool_command(["keys", "create"], settings)
    second = run_tool_command(["keys", "create"], settings)

    created = [line for line in first.stdout.splitlines() if line.startswith("Published: ")]
    assert len(created) == 2
    assert second.stdout.splitlines() == first.stdout.splitlines()
