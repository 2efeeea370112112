from tests.conftest import launch


def test_launch_shows_course_page(client, test_platform):
    response = launch(client, test_platform)
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body
    assert "Ada Lovelace" in body
    assert "Instructor" in body
