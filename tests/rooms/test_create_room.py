"""Creating a room through the pages, with the launch session carried without cookies."""

from app.extensions import db
from app.models import Room
from tests.conftest import launch
from tests.support.pages import hidden_field, meta_content


def test_create_room_without_cookies(app, client, test_platform):
    launched = launch(client, test_platform)
    course_page = launched.get_data(as_text=True)
    token = meta_content(course_page, "launch-token")
    course_url = meta_content(course_page, "page-url")

    cookieless = app.test_client(use_cookies=False)
    form_page = cookieless.get(course_url.replace("/rooms", "/rooms/new"), headers={"X-Launch-Token": token})
    assert form_page.status_code == 200
    form_html = form_page.get_data(as_text=True)

    response = cookieless.post(
        course_url.replace("/rooms", "/rooms/new"),
        data={
            "launch_token": hidden_field(form_html, "launch_token"),
            "csrf_token": hidden_field(form_html, "csrf_token"),
            "name": "Week 1: Welcome",
            "description": "First session",
            "tags": "Intro, week1",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        room = db.session.scalars(db.select(Room)).one()
        assert room.name == "Week 1: Welcome"
        assert room.tag_names == ["intro", "week1"]


def test_create_room_rejects_markup_name(app, client, test_platform):
    launched = launch(client, test_platform)
    token = meta_content(launched.get_data(as_text=True), "launch-token")
    course_url = meta_content(launched.get_data(as_text=True), "page-url")
    form_url = course_url.replace("/rooms", "/rooms/new")
    form_html = client.get(form_url, headers={"X-Launch-Token": token}).get_data(as_text=True)

    response = client.post(
        form_url,
        data={
            "launch_token": hidden_field(form_html, "launch_token"),
            "csrf_token": hidden_field(form_html, "csrf_token"),
            "name": "<script>alert(1)</script>",
        },
    )
    assert response.status_code == 422
    assert "cannot contain HTML tags" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Room.id))) == 0


def test_form_post_without_csrf_is_rejected(app, client, test_platform):
    launched = launch(client, test_platform)
    token = meta_content(launched.get_data(as_text=True), "launch-token")
    course_url = meta_content(launched.get_data(as_text=True), "page-url")

    response = app.test_client(use_cookies=False).post(
        course_url.replace("/rooms", "/rooms/new"), data={"launch_token": token, "name": "No CSRF"}
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Room.id))) == 0
