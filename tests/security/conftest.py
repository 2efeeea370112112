"""Fixtures for the permission tests: one person in each role of the course, and one of another course."""

import pytest

from tests.support.actors import INSTRUCTOR, LEARNER, LMS_ADMIN, MENTOR, launch_actor


@pytest.fixture
def people(app, test_platform):
    actors = {
        "owner": launch_actor(app, test_platform, sub="owner", name="Olive Owner", roles=INSTRUCTOR),
        "co_editor": launch_actor(app, test_platform, sub="co-editor", name="Cora Coeditor", roles=INSTRUCTOR),
        "instructor": launch_actor(app, test_platform, sub="instructor", name="Ivan Instructor", roles=INSTRUCTOR),
        "learner": launch_actor(app, test_platform, sub="learner", name="Lena Learner", roles=LEARNER),
        "viewer": launch_actor(app, test_platform, sub="viewer", name="Vera Viewer", roles=MENTOR),
        "lms_admin": launch_actor(app, test_platform, sub="admin", name="Ada Admin", roles=LMS_ADMIN + LEARNER),
        "other_course": launch_actor(app, test_platform, sub="other", name="Otto Other", roles=INSTRUCTOR, context_id="course-2"),
    }
    return actors
