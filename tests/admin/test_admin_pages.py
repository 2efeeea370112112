"""The LMS administration page: deployments, the C&C switch, the approval queue and rejected launches."""

import re
from datetime import timedelta
from html import unescape

import pytest

from app.auth.access import load_course_access
from app.auth.launch_session import read_token
from app.extensions import db
from app.lti.platforms import PlatformFields, save_platform
from app.models import Deployment, DeploymentStatus, Platform, RejectedLaunch
from app.models.base import utcnow
from tests.conftest import complete_launch, launch, start_login
from tests.support.actors import INSTRUCTOR, LEARNER, LMS_ADMIN, launch_actor
from tests.support.pages import meta_content
from tests.support.tokens import LTI, TestPlatform

OTHER_ISSUER = "https://other-lms.test"


@pytest.fixture
def admin(app, test_platform):
    return launch_actor(app, test_platform, sub="admin-1", name="Grace Hopper", roles=LMS_ADMIN + LEARNER)


@pytest.fixture
def instructor(app, test_platform):
    return launch_actor(app, test_platform, sub="teacher-1", name="Alan Turing", roles=INSTRUCTOR)


@pytest.fixture
def other_platform(app, key_server):
    """A second registered LMS, with one active deployment and one rejected launch of its own."""
    with app.app_context():
        platform, _created = save_platform(
            db.session,
            PlatformFields(
                issuer=OTHER_ISSUER,
                client_id="other-client",
                auth_login_url=f"{OTHER_ISSUER}/auth",
                jwks_url=key_server.url,
                deployment_ids=["other-deployment"],
            ),
        )
        db.session.add(
            RejectedLaunch(
                platform_id=platform.id,
                issuer=OTHER_ISSUER,
                client_id="other-client",
                stage="launch",
                reason="Secret reason of the other LMS",
            )
        )
        db.session.commit()
        return platform.id, platform.deployments[0].id


def platform_id(app, test_platform: TestPlatform) -> int:
    with app.app_context():
        return db.session.scalars(db.select(Platform.id).where(Platform.issuer == test_platform.issuer)).one()


def deployment(app, test_platform: TestPlatform, deployment_id: str) -> Deployment:
    with app.app_context():
        row = db.session.scalars(
            db.select(Deployment).join(Platform).where(
                Platform.issuer == test_platform.issuer, Deployment.deployment_id == deployment_id
            )
        ).one()
        db.session.expunge(row)
        return row


def admin_url(platform_pk: int) -> str:
    return f"/admin/platforms/{platform_pk}"


def cc_url(platform_pk: int, deployment_pk: int) -> str:
    return f"/admin/platforms/{platform_pk}/deployments/{deployment_pk}/cc"


def decision_url(platform_pk: int, deployment_pk: int) -> str:
    return f"/admin/platforms/{platform_pk}/deployments/{deployment_pk}/decision"


def cc_state(page: str, deployment_id: str) -> str:
    row = re.search(
        rf'data-deployment-id="{re.escape(deployment_id)}">.*?data-testid="cc-state">([^<]*)<', page, re.DOTALL
    )
    assert row, f"no deployment row for {deployment_id!r}"
    return row.group(1).strip()


def launch_with_new_deployment(app, test_platform: TestPlatform, deployment_id: str):
    client = app.test_client()
    _response, auth = start_login(client, test_platform, lti_deployment_id=deployment_id)
    return complete_launch(client, test_platform, auth, **{LTI + "deployment_id": deployment_id})


def test_header_links_admin_page_for_lms_admin(app, test_platform):
    response = launch(app.test_client(), test_platform, sub="admin-1", roles=LMS_ADMIN + LEARNER)

    page = response.get_data(as_text=True)
    assert f'href="{admin_url(platform_id(app, test_platform))}"' in page
    assert 'data-testid="admin-link"' in page


def test_header_has_no_admin_link_for_instructor(app, test_platform):
    response = launch(app.test_client(), test_platform, sub="teacher-1", roles=INSTRUCTOR)

    assert 'data-testid="admin-link"' not in response.get_data(as_text=True)


def test_admin_page_lists_deployments(app, test_platform, admin):
    response = admin.get(admin_url(platform_id(app, test_platform)))

    assert response.status_code == 200
    page = unescape(response.get_data(as_text=True))
    assert test_platform.issuer in page
    assert cc_state(page, test_platform.deployment_id) == "On"
    assert "No deployment is waiting for approval." in page


def test_admin_turns_cc_off_and_on(app, test_platform, admin):
    platform_pk = platform_id(app, test_platform)
    deployment_pk = deployment(app, test_platform, test_platform.deployment_id).id

    response = admin.post(cc_url(platform_pk, deployment_pk), {"enabled": "off"})
    assert response.status_code == 303
    assert response.location.endswith(admin_url(platform_pk))
    assert deployment(app, test_platform, test_platform.deployment_id).cc_enabled is False
    assert cc_state(admin.get(admin_url(platform_pk)).get_data(as_text=True), test_platform.deployment_id) == "Off"

    response = admin.post(cc_url(platform_pk, deployment_pk), {"enabled": "on"})
    assert response.status_code == 303
    assert deployment(app, test_platform, test_platform.deployment_id).cc_enabled is True
    assert cc_state(admin.get(admin_url(platform_pk)).get_data(as_text=True), test_platform.deployment_id) == "On"


def test_cc_off_reaches_course_access(app, test_platform, admin, instructor):
    platform_pk = platform_id(app, test_platform)
    deployment_pk = deployment(app, test_platform, test_platform.deployment_id).id

    admin.post(cc_url(platform_pk, deployment_pk), {"enabled": "off"})

    with app.app_context():
        assert load_course_access(read_token(instructor.token)).cc_enabled is False


def test_cc_switch_repeated_keeps_state(app, test_platform, admin):
    platform_pk = platform_id(app, test_platform)
    deployment_pk = deployment(app, test_platform, test_platform.deployment_id).id

    for _ in range(2):
        assert admin.post(cc_url(platform_pk, deployment_pk), {"enabled": "off"}).status_code == 303

    assert deployment(app, test_platform, test_platform.deployment_id).cc_enabled is False


def test_cc_switch_invalid_value_changes_nothing(app, test_platform, admin):
    platform_pk = platform_id(app, test_platform)
    deployment_pk = deployment(app, test_platform, test_platform.deployment_id).id

    response = admin.post(cc_url(platform_pk, deployment_pk), {"enabled": "maybe"})

    assert response.status_code == 400
    assert "the form was invalid" in response.get_data(as_text=True)
    assert deployment(app, test_platform, test_platform.deployment_id).cc_enabled is True


def test_cc_switch_without_csrf_rejected(app, test_platform, admin):
    platform_pk = platform_id(app, test_platform)
    deployment_pk = deployment(app, test_platform, test_platform.deployment_id).id

    response = admin.client.post(
        cc_url(platform_pk, deployment_pk), data={"launch_token": admin.token, "enabled": "off"}
    )

    assert response.status_code == 400
    assert deployment(app, test_platform, test_platform.deployment_id).cc_enabled is True


def test_other_platform_page_not_found(app, admin, other_platform):
    other_platform_pk, _other_deployment_pk = other_platform

    response = admin.get(admin_url(other_platform_pk))

    assert response.status_code == 404
    assert "Secret reason of the other LMS" not in response.get_data(as_text=True)


def test_unknown_platform_page_not_found(admin):
    assert admin.get(admin_url(999999)).status_code == 404


def test_other_platform_cc_switch_not_found(app, test_platform, admin, other_platform):
    other_platform_pk, other_deployment_pk = other_platform

    through_other_page = admin.post(cc_url(other_platform_pk, other_deployment_pk), {"enabled": "off"})
    through_own_page = admin.post(cc_url(platform_id(app, test_platform), other_deployment_pk), {"enabled": "off"})

    assert through_other_page.status_code == 404
    assert through_own_page.status_code == 404
    with app.app_context():
        assert db.session.get(Deployment, other_deployment_pk).cc_enabled is True


def test_other_platform_decision_not_found(app, test_platform, admin, other_platform):
    _other_platform_pk, other_deployment_pk = other_platform

    response = admin.post(decision_url(platform_id(app, test_platform), other_deployment_pk), {"decision": "reject"})

    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Deployment, other_deployment_pk).status == DeploymentStatus.ACTIVE


def test_instructor_gets_forbidden(app, test_platform, instructor):
    platform_pk = platform_id(app, test_platform)
    deployment_pk = deployment(app, test_platform, test_platform.deployment_id).id

    page = instructor.get(admin_url(platform_pk))
    switch = instructor.post(cc_url(platform_pk, deployment_pk), {"enabled": "off"})

    assert page.status_code == 403
    assert switch.status_code == 403
    assert deployment(app, test_platform, test_platform.deployment_id).cc_enabled is True


def test_admin_page_needs_launch(app, test_platform):
    response = app.test_client(use_cookies=False).get(admin_url(platform_id(app, test_platform)))

    assert response.status_code == 401


def test_pending_deployment_approved_then_launches(app, test_platform, admin):
    queued = launch_with_new_deployment(app, test_platform, "99:new")
    assert queued.status_code == 403
    pending = deployment(app, test_platform, "99:new")
    assert pending.status == DeploymentStatus.PENDING
    page = admin.get(admin_url(platform_id(app, test_platform))).get_data(as_text=True)
    assert 'data-testid="pending-deployment"' in page
    assert "99:new" in page

    response = admin.post(decision_url(platform_id(app, test_platform), pending.id), {"decision": "approve"})

    assert response.status_code == 303
    approved = deployment(app, test_platform, "99:new")
    assert approved.status == DeploymentStatus.ACTIVE
    assert approved.decided_at is not None
    assert launch_with_new_deployment(app, test_platform, "99:new").status_code == 200


def test_pending_deployment_rejected_stays_rejected(app, test_platform, admin):
    launch_with_new_deployment(app, test_platform, "99:new")
    pending = deployment(app, test_platform, "99:new")

    response = admin.post(decision_url(platform_id(app, test_platform), pending.id), {"decision": "reject"})

    assert response.status_code == 303
    assert deployment(app, test_platform, "99:new").status == DeploymentStatus.REJECTED
    assert launch_with_new_deployment(app, test_platform, "99:new").status_code == 403


def test_reject_active_deployment_conflict(app, test_platform, admin):
    active = deployment(app, test_platform, test_platform.deployment_id)

    response = admin.post(decision_url(platform_id(app, test_platform), active.id), {"decision": "reject"})

    assert response.status_code == 409
    assert "is not waiting for approval" in unescape(response.get_data(as_text=True))
    assert deployment(app, test_platform, test_platform.deployment_id).status == DeploymentStatus.ACTIVE


def test_decision_invalid_value_changes_nothing(app, test_platform, admin):
    launch_with_new_deployment(app, test_platform, "99:new")
    pending = deployment(app, test_platform, "99:new")

    response = admin.post(decision_url(platform_id(app, test_platform), pending.id), {"decision": "delete"})

    assert response.status_code == 400
    assert deployment(app, test_platform, "99:new").status == DeploymentStatus.PENDING


def test_rejected_launches_listed_newest_first(app, test_platform, admin, other_platform):
    platform_pk = platform_id(app, test_platform)
    now = utcnow()
    with app.app_context():
        for minutes, reason in ((30, "Older reason"), (5, "Newer reason")):
            db.session.add(
                RejectedLaunch(
                    platform_id=platform_pk,
                    issuer=test_platform.issuer,
                    client_id=test_platform.client_id,
                    deployment_id="deployment-1",
                    stage="launch",
                    reason=reason,
                    created_at=now - timedelta(minutes=minutes),
                )
            )
        db.session.commit()

    page = unescape(admin.get(admin_url(platform_pk)).get_data(as_text=True))

    reasons = re.findall(r'data-testid="rejection-reason">([^<]*)<', page)
    assert reasons == ["Newer reason", "Older reason"]
    assert "Secret reason of the other LMS" not in page


def test_rejected_launch_reason_from_real_launch(app, test_platform, admin):
    launch_with_new_deployment(app, test_platform, "99:new")

    page = unescape(admin.get(admin_url(platform_id(app, test_platform))).get_data(as_text=True))

    assert "Deployment '99:new' of this platform waits for an LMS administrator's approval." in page


def test_rejected_launches_paginated(app, test_platform, admin):
    platform_pk = platform_id(app, test_platform)
    now = utcnow()
    with app.app_context():
        for number in range(30):
            db.session.add(
                RejectedLaunch(
                    platform_id=platform_pk,
                    issuer=test_platform.issuer,
                    client_id=test_platform.client_id,
                    stage="login",
                    reason=f"Reason {number:02d}",
                    created_at=now - timedelta(minutes=number),
                )
            )
        db.session.commit()

    first = admin.get(admin_url(platform_pk)).get_data(as_text=True)
    second = admin.get(admin_url(platform_pk), query_string={"page": 2}).get_data(as_text=True)

    first_reasons = re.findall(r'data-testid="rejection-reason">([^<]*)<', first)
    second_reasons = re.findall(r'data-testid="rejection-reason">([^<]*)<', second)
    assert first_reasons == [f"Reason {number:02d}" for number in range(25)]
    assert second_reasons == [f"Reason {number:02d}" for number in range(25, 30)]
    assert f'href="{admin_url(platform_pk)}?page=2"' in first
    assert meta_content(second, "page-url") == f"{admin_url(platform_pk)}?page=2"


def test_admin_page_shows_registration_urls(app, test_platform, admin):
    page = admin.get(admin_url(platform_id(app, test_platform))).get_data(as_text=True)

    assert "http://localhost/lti/register" in page
    assert "http://localhost/lti/canvas.json" in page


def embedding_url(platform_pk: int) -> str:
    return f"/admin/platforms/{platform_pk}/embedding"


def frame_ancestors_of(response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    return policy.split("frame-ancestors ", 1)[1].split(";", 1)[0].split()


def test_admin_adds_frame_origin(app, test_platform, admin):
    pk = platform_id(app, test_platform)
    assert "https://school.instructure.com" not in frame_ancestors_of(admin.get(admin_url(pk)))

    response = admin.post(
        embedding_url(pk),
        {"frame_origins": "https://school.instructure.com  https://*.school.edu", "storage_target_origin": ""},
    )

    assert response.status_code == 303
    page_response = admin.get(admin_url(pk))
    ancestors = frame_ancestors_of(page_response)
    assert "https://school.instructure.com" in ancestors
    assert "https://*.school.edu" in ancestors
    assert 'value="https://school.instructure.com https://*.school.edu"' in page_response.get_data(as_text=True)
    with app.app_context():
        stored = db.session.get(Platform, pk)
        assert stored.frame_origins == "https://school.instructure.com https://*.school.edu"
        assert stored.storage_target_origin is None


def test_admin_sets_storage_target_origin(app, test_platform, admin):
    pk = platform_id(app, test_platform)

    response = admin.post(embedding_url(pk), {"frame_origins": "", "storage_target_origin": "https://lms.test:8443/"})

    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Platform, pk).storage_target_origin == "https://lms.test:8443"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"frame_origins": "https://school.instructure.com/courses/1"}, "is not an origin such as"),
        ({"frame_origins": "https://*.edu"}, "is not an origin such as"),
        ({"frame_origins": "https://a.test; script-src *"}, "is not an origin such as"),
        ({"frame_origins": "javascript:alert(1)"}, "is not an origin such as"),
        ({"frame_origins": " ".join(f"https://lms{number}.test" for number in range(21))}, "At most 20 frame origins"),
        ({"storage_target_origin": "https://*.lms.test"}, "is not an origin such as"),
    ],
)
def test_invalid_origins_rejected(app, test_platform, admin, fields, message):
    pk = platform_id(app, test_platform)
    admin.post(embedding_url(pk), {"frame_origins": "https://kept.test", "storage_target_origin": ""})

    response = admin.post(embedding_url(pk), {"frame_origins": "", "storage_target_origin": "", **fields})

    assert response.status_code == 400
    assert message in unescape(response.get_data(as_text=True))
    with app.app_context():
        stored = db.session.get(Platform, pk)
        assert stored.frame_origins == "https://kept.test"
        assert stored.storage_target_origin is None


def test_origin_with_password_not_shown(app, test_platform, admin):
    pk = platform_id(app, test_platform)

    response = admin.post(embedding_url(pk), {"frame_origins": "https://u:Hunter2pw@school.test", "storage_target_origin": ""})

    assert response.status_code == 400
    assert "must not contain a user name or password" in unescape(response.get_data(as_text=True))
    assert "Hunter2pw" not in response.get_data(as_text=True).split("<form", 1)[0]


def test_embedding_form_refused_to_others(app, test_platform, instructor, admin, other_platform):
    other_platform_pk, _other_deployment_pk = other_platform
    fields = {"frame_origins": "https://evil.test", "storage_target_origin": ""}

    assert instructor.post(embedding_url(platform_id(app, test_platform)), fields).status_code == 403
    assert admin.post(embedding_url(other_platform_pk), fields).status_code == 404
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Platform.id)).where(Platform.frame_origins != "")) == 0
