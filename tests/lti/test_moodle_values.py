"""The values of Moodle's "Configure a tool manually" form, on the admin page and from `platform add`.

Both print the same function's output; these tests pin each field, in the form's order.
"""

import re
from html import unescape

import pytest

from app.extensions import db
from app.models import Platform
from tests.support.actors import LEARNER, LMS_ADMIN, launch_actor
from tests.support.tokens import TestPlatform

EXPECTED_MOODLE_VALUES = [
    ("Tool name", "rooms-lti"),
    ("Tool URL", "http://localhost/lti/launch"),
    ("LTI version", "LTI 1.3"),
    ("Public key type", "Keyset URL"),
    ("Public keyset", "http://localhost/lti/jwks"),
    ("Initiate login URL", "http://localhost/lti/login"),
    ("Redirection URI(s)", "http://localhost/lti/launch"),
    (
        "Custom parameters",
        "context_history=$Context.id.history\n"
        "resource_link_history=$ResourceLink.id.history\n"
        "canvas_previous_context_ids=$Canvas.course.previousContextIds.recursive",
    ),
    ("Supports Deep Linking (Content-Item Message)", "Yes"),
    ("Content Selection URL", "http://localhost/lti/launch"),
    ("Share launcher's name with tool", "Always"),
    ("Share launcher's email with tool", "Always"),
    ("IMS LTI Names and Role Provisioning", "Use this service to retrieve members' information as per privacy settings"),
]


def admin_page_values(html: str) -> list[tuple[str, str]]:
    labels = re.findall(r'<dt data-testid="moodle-label">(.*?)</dt>', html, re.DOTALL)
    values = re.findall(r'<dd data-testid="moodle-value"><code>(.*?)</code></dd>', html, re.DOTALL)
    return [(unescape(label), unescape(value)) for label, value in zip(labels, values, strict=True)]


def cli_values(output: str) -> list[tuple[str, str]]:
    """Read the "  Label: value" lines that `platform add` prints; indented lines continue a value."""
    section = output.split("Values for the LMS", 1)[1].split("Canvas developer key JSON", 1)[0]
    values: list[tuple[str, str]] = []
    for line in section.splitlines()[1:]:
        if not line.strip():
            continue
        label, separator, value = line.strip().partition(": ")
        if separator and line.startswith("  ") and not line.startswith("   "):
            values.append((label, value))
        else:
            label, value = values[-1]
            values[-1] = (label, f"{value}\n{line.strip()}")
    return values


@pytest.mark.parametrize(("label", "value"), EXPECTED_MOODLE_VALUES)
def test_admin_page_moodle_field(app, test_platform, label, value):
    admin = launch_actor(app, test_platform, sub="admin-1", name="Grace Hopper", roles=LMS_ADMIN + LEARNER)
    with app.app_context():
        platform_pk = db.session.scalars(db.select(Platform.id).where(Platform.issuer == test_platform.issuer)).one()

    values = dict(admin_page_values(admin.get(f"/admin/platforms/{platform_pk}").get_data(as_text=True)))

    assert values[label] == value


def test_admin_page_moodle_fields_in_form_order(app, test_platform):
    admin = launch_actor(app, test_platform, sub="admin-1", name="Grace Hopper", roles=LMS_ADMIN + LEARNER)
    with app.app_context():
        platform_pk = db.session.scalars(db.select(Platform.id).where(Platform.issuer == test_platform.issuer)).one()

    values = admin_page_values(admin.get(f"/admin/platforms/{platform_pk}").get_data(as_text=True))

    assert values == EXPECTED_MOODLE_VALUES


@pytest.fixture
def platform_add_output(app, key_server):
    platform = TestPlatform(issuer="https://moodle.example.edu", client_id="moodle-client")
    result = app.test_cli_runner().invoke(
        args=[
            "platform", "add",
            "--issuer", platform.issuer,
            "--client-id", platform.client_id,
            "--auth-url", f"{platform.issuer}/mod/lti/auth.php",
            "--jwks-url", key_server.url,
            "--deployment", "1",
        ]
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(("label", "value"), EXPECTED_MOODLE_VALUES)
def test_platform_add_prints_moodle_field(platform_add_output, label, value):
    values = dict(cli_values(platform_add_output))

    assert values[label] == value


def test_platform_add_prints_moodle_fields_in_form_order(platform_add_output):
    assert cli_values(platform_add_output) == EXPECTED_MOODLE_VALUES
