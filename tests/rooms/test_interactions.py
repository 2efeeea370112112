"""C&C interactions through the pages: editing, status changes, answers, results and who may do what."""

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import Deployment, Interaction, InteractionResponse, InteractionStatus, RoomCoEditor, User
from tests.support.actors import INSTRUCTOR, LEARNER, LMS_ADMIN, MENTOR, Actor, launch_actor

CORRECT_LABEL = "Canberra"


@pytest.fixture
def owner(app, test_platform):
    return launch_actor(app, test_platform, sub="owner", name="Olive Owner", roles=INSTRUCTOR)


@pytest.fixture
def learner(app, test_platform):
    return launch_actor(app, test_platform, sub="learner", name="Lena Learner", roles=LEARNER)


@pytest.fixture
def mentor(app, test_platform):
    return launch_actor(app, test_platform, sub="mentor", name="Mona Mentor", roles=MENTOR)


@pytest.fixture
def instructor(app, test_platform):
    """An instructor of the course who neither owns nor co-edits the room."""
    return launch_actor(app, test_platform, sub="instructor", name="Ivan Instructor", roles=INSTRUCTOR)


@pytest.fixture
def outsider(app, test_platform):
    """The instructor of another course of the same platform."""
    return launch_actor(
        app, test_platform, sub="outsider", name="Otto Outsider", roles=INSTRUCTOR, context_id="course-2"
    )


class FrozenClock:
    """Stands in for ``utcnow`` in the room page and the interaction routes."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    frozen = FrozenClock(datetime.now(UTC).replace(second=0, microsecond=0))
    monkeypatch.setattr("app.rooms.views.utcnow", frozen)
    monkeypatch.setattr("app.rooms.interaction_views.utcnow", frozen)
    return frozen


def new_room(owner: Actor) -> int:
    """Create a room that learners see, and return its id."""
    response = owner.post(f"/courses/{owner.course_id}/rooms/new", {"name": "Week 1"})
    assert response.status_code == 303, response.get_data(as_text=True)
    room_id = int(response.location.rsplit("/", 1)[1])
    assert owner.post(f"/rooms/{room_id}/visibility", {"visible": "y"}).status_code == 303
    return room_id


def interaction_fields(kind: str, title: str, *, body: str = "", options=(), correct=()) -> dict:
    fields = {"kind": kind, "title": title, "body": body, "correct": [str(index) for index in correct]}
    for index, option in enumerate(options):
        fields[f"options-{index}"] = option
    return fields


def post_interaction(actor: Actor, room_id: int, kind: str, title: str, **fields):
    return actor.post(f"/rooms/{room_id}/interactions", interaction_fields(kind, title, **fields))


def create_interaction(app, actor: Actor, room_id: int, kind: str, title: str, **fields) -> int:
    response = post_interaction(actor, room_id, kind, title, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        return db.session.scalar(db.select(db.func.max(Interaction.id)))


def create_poll(app, owner: Actor, room_id: int, title: str = "Favourite colour?") -> int:
    return create_interaction(app, owner, room_id, "poll", title, options=["Red", "Green", "Blue"])


def create_quiz(app, owner: Actor, room_id: int) -> int:
    return create_interaction(
        app, owner, room_id, "quiz", "Capital of Australia?", options=["Sydney", "Melbourne", CORRECT_LABEL], correct=[2]
    )


def action(room_id: int, interaction_id: int, name: str) -> str:
    return f"/rooms/{room_id}/interactions/{interaction_id}/{name}"


def stored(app, interaction_id: int) -> Interaction:
    with app.app_context():
        interaction = db.session.get(Interaction, interaction_id)
        db.session.expunge_all()
        return interaction


def interaction_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Interaction.id)))


def responses_of(app, interaction_id: int) -> list[InteractionResponse]:
    with app.app_context():
        rows = list(
            db.session.scalars(db.select(InteractionResponse).where(InteractionResponse.interaction_id == interaction_id))
        )
        db.session.expunge_all()
        return rows


def interactions_section(page: str) -> str:
    match = re.search(r'<section aria-labelledby="interactions-title".*?</section>', page, re.S)
    assert match, "the room page has no interactions section"
    return match.group(0)


def room_page(actor: Actor, room_id: int) -> str:
    response = actor.get(f"/rooms/{room_id}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def set_cc_enabled(app, enabled: bool) -> None:
    with app.app_context():
        for deployment in db.session.scalars(db.select(Deployment)):
            deployment.cc_enabled = enabled
        db.session.commit()


# Validation ------------------------------------------------------------------------------------

POLL_OPTIONS = ["Red", "Green"]

INVALID_INPUT = [
    pytest.param("poll", {"title": "   ", "options": POLL_OPTIONS}, "The question is required.", id="empty question"),
    pytest.param("announcement", {"title": "", "body": "Text"}, "The title is required.", id="empty title"),
    pytest.param(
        "poll", {"title": "x" * 201, "options": POLL_OPTIONS}, "The title has 201 characters", id="title too long"
    ),
    pytest.param(
        "announcement", {"title": "Welcome", "body": "  "}, "The text of the announcement is required.", id="empty text"
    ),
    pytest.param("announcement", {"title": "Welcome", "body": "x" * 5001}, "The text has 5001 characters", id="text too long"),
    pytest.param("poll", {"title": "Pick", "options": ["Only one"]}, "needs at least 2 options", id="one option"),
    pytest.param(
        "poll", {"title": "Pick", "options": [f"Option {n}" for n in range(11)]}, "at most 10 options", id="eleven options"
    ),
    pytest.param("poll", {"title": "Pick", "options": ["Red", "", "Blue"]}, "Option 2 is empty", id="empty option"),
    pytest.param(
        "poll", {"title": "Pick", "options": ["Red", "Blue", " red "]}, "Options 1 and 3 are the same", id="duplicate option"
    ),
    pytest.param(
        "poll", {"title": "Pick", "options": ["x" * 201, "Blue"]}, "Option 1 has 201 characters", id="option too long"
    ),
    pytest.param(
        "quiz", {"title": "Pick", "options": ["Red", "Blue"]}, "Mark at least one option as correct.", id="no correct option"
    ),
    pytest.param(
        "quiz",
        {"title": "Pick", "options": ["Red", "Blue", "Green"], "correct": [5]},
        "Option 6 is marked correct, but the quiz has only 3 options.",
        id="correct option out of range",
    ),
    pytest.param(
        "quiz",
        {"title": "Pick", "options": ["Red", "Blue"], "correct": ["first"]},
        "is not an option number",
        id="correct option not a number",
    ),
    pytest.param("survey", {"title": "Pick"}, "The kind survey is invalid", id="unknown kind"),
]


@pytest.mark.parametrize(("kind", "fields", "message"), INVALID_INPUT)
def test_create_rejects_invalid_input(app, owner, kind, fields, message):
    room_id = new_room(owner)

    response = post_interaction(owner, room_id, kind, **fields)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert interaction_count(app) == 0


def test_edit_rejects_duplicate_options(app, owner):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)

    response = owner.post(
        action(room_id, poll_id, "edit"), interaction_fields("poll", "Favourite colour?", options=["Red", "Red"])
    )

    assert response.status_code == 422
    assert "Options 1 and 2 are the same" in response.get_data(as_text=True)
    assert stored(app, poll_id).options == ["Red", "Green", "Blue"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("2001-01-01T09:00", "is in the past", id="past"),
        pytest.param("next Tuesday", "The time “next Tuesday” is invalid", id="unparseable"),
        pytest.param("", "Enter the date and time", id="empty"),
    ],
)
def test_schedule_rejects_invalid_time(app, owner, value, message):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)

    response = owner.post(action(room_id, poll_id, "schedule"), {"scheduled_at": value})

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    poll = stored(app, poll_id)
    assert poll.status == InteractionStatus.DRAFT
    assert poll.scheduled_at is None


# Creating, editing and status changes -------------------------------------------------------

def test_create_stores_draft_quiz(app, owner):
    room_id = new_room(owner)

    quiz_id = create_interaction(
        app, owner, room_id, "quiz", "  Capital of  Australia? ", options=["Sydney", CORRECT_LABEL, "", ""], correct=[1]
    )

    quiz = stored(app, quiz_id)
    assert quiz.status == InteractionStatus.DRAFT
    assert quiz.title == "Capital of Australia?"
    assert quiz.options == ["Sydney", CORRECT_LABEL]
    assert quiz.correct_options == [1]


def test_edit_draft_poll(app, owner):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    form = owner.get(action(room_id, poll_id, "edit"))
    assert form.status_code == 200
    assert 'value="Green"' in form.get_data(as_text=True)

    response = owner.post(
        action(room_id, poll_id, "edit"), interaction_fields("poll", "Favourite fruit?", options=["Apple", "Pear"])
    )

    assert response.status_code == 303
    poll = stored(app, poll_id)
    assert poll.title == "Favourite fruit?"
    assert poll.options == ["Apple", "Pear"]


def test_publish_close_reopen_delete(app, owner):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)

    assert owner.post(action(room_id, poll_id, "publish")).status_code == 303
    published = stored(app, poll_id)
    assert published.status == InteractionStatus.PUBLISHED
    assert published.published_at is not None

    assert owner.post(action(room_id, poll_id, "close")).status_code == 303
    closed = stored(app, poll_id)
    assert closed.status == InteractionStatus.CLOSED
    assert closed.closed_at is not None

    assert owner.post(action(room_id, poll_id, "reopen")).status_code == 303
    reopened = stored(app, poll_id)
    assert reopened.status == InteractionStatus.PUBLISHED
    assert reopened.closed_at is None

    assert owner.post(action(room_id, poll_id, "delete")).status_code == 303
    deleted = stored(app, poll_id)
    assert deleted.status == InteractionStatus.DELETED
    assert deleted.deleted_at is not None
    assert "Favourite colour?" not in room_page(owner, room_id)
    assert owner.post(action(room_id, poll_id, "publish")).status_code == 404


def test_schedule_then_cancel(app, owner, clock):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    when = clock.now + timedelta(hours=1)

    assert owner.post(action(room_id, poll_id, "schedule"), {"scheduled_at": when.strftime("%Y-%m-%dT%H:%M")}).status_code == 303
    scheduled = stored(app, poll_id)
    assert scheduled.status == InteractionStatus.SCHEDULED
    assert scheduled.scheduled_at == when
    assert "Scheduled for" in room_page(owner, room_id)

    assert owner.post(action(room_id, poll_id, "unschedule")).status_code == 303
    draft = stored(app, poll_id)
    assert draft.status == InteractionStatus.DRAFT
    assert draft.scheduled_at is None


@pytest.mark.parametrize(
    ("steps", "refused", "message"),
    [
        pytest.param([], "close", "is not published, so it cannot be closed", id="close draft"),
        pytest.param([], "reopen", "is not closed", id="reopen draft"),
        pytest.param([], "unschedule", "is not scheduled", id="unschedule draft"),
        pytest.param(["publish"], "publish", "is already published", id="publish twice"),
        pytest.param(["publish", "close"], "publish", "is closed. Reopen it instead.", id="publish closed"),
        pytest.param(["publish", "close"], "close", "is already closed", id="close twice"),
    ],
)
def test_status_change_refused(app, owner, steps, refused, message):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    for step in steps:
        assert owner.post(action(room_id, poll_id, step)).status_code == 303
    before = stored(app, poll_id).status

    response = owner.post(action(room_id, poll_id, refused))

    assert response.status_code == 409
    assert message in response.get_data(as_text=True)
    assert stored(app, poll_id).status == before


def test_schedule_published_poll_refused(app, owner):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    owner.post(action(room_id, poll_id, "publish"))

    response = owner.post(action(room_id, poll_id, "schedule"), {"scheduled_at": "2999-01-01T09:00"})

    assert response.status_code == 409
    assert stored(app, poll_id).scheduled_at is None


def test_published_poll_options_cannot_change(app, owner):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    owner.post(action(room_id, poll_id, "publish"))

    response = owner.post(
        action(room_id, poll_id, "edit"), interaction_fields("poll", "Changed?", options=["Yes", "No"])
    )

    assert response.status_code == 409
    assert "can no longer change" in response.get_data(as_text=True)
    assert stored(app, poll_id).title == "Favourite colour?"


def test_published_announcement_can_be_edited(app, owner):
    room_id = new_room(owner)
    announcement_id = create_interaction(app, owner, room_id, "announcement", "Welcome", body="Hello")
    owner.post(action(room_id, announcement_id, "publish"))

    response = owner.post(
        action(room_id, announcement_id, "edit"), interaction_fields("announcement", "Welcome", body="Hello, all")
    )

    assert response.status_code == 303
    assert stored(app, announcement_id).body == "Hello, all"


# Scheduled interactions and a frozen clock --------------------------------------------------

def test_scheduled_poll_visible_from_its_time(app, owner, learner, clock):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    start = clock.now
    owner.post(
        action(room_id, poll_id, "schedule"),
        {"scheduled_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")},
    )

    clock.now = start + timedelta(minutes=59)
    assert "Favourite colour?" not in room_page(learner, room_id)
    assert learner.post(action(room_id, poll_id, "responses"), {"choice": "0"}).status_code == 404

    clock.now = start + timedelta(hours=1)
    assert "Favourite colour?" in room_page(learner, room_id)
    assert learner.post(action(room_id, poll_id, "responses"), {"choice": "0"}).status_code == 303
    assert len(responses_of(app, poll_id)) == 1
    assert stored(app, poll_id).status == InteractionStatus.SCHEDULED


def test_draft_invisible_to_learner(app, owner, learner):
    room_id = new_room(owner)
    create_poll(app, owner, room_id)

    assert "Favourite colour?" not in room_page(learner, room_id)


# Answers ------------------------------------------------------------------------------------

def test_learner_answers_published_poll_once(app, owner, learner):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    owner.post(action(room_id, poll_id, "publish"))
    assert 'name="choice"' in room_page(learner, room_id)

    first = learner.post(action(room_id, poll_id, "responses"), {"choice": "1"})
    assert first.status_code == 303
    page = room_page(learner, room_id)
    assert "Your answer was recorded." in page
    assert 'name="choice"' not in page

    second = learner.post(action(room_id, poll_id, "responses"), {"choice": "2"})
    assert second.status_code == 409
    assert "You have already answered" in second.get_data(as_text=True)
    responses = responses_of(app, poll_id)
    assert len(responses) == 1
    assert responses[0].choices == [1]


def chosen_options(page: str) -> list[str]:
    """Return the option texts that the page marks as the current user's answer."""
    return re.findall(r'<li data-testid="interaction-option" class="chosen-option"><strong>([^<]*)</strong>', page)


def test_learner_sees_own_answer(app, owner, learner, test_platform):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    quiz_id = create_quiz(app, owner, room_id)
    owner.post(action(room_id, poll_id, "publish"))
    owner.post(action(room_id, quiz_id, "publish"))
    assert chosen_options(room_page(learner, room_id)) == []

    assert learner.post(action(room_id, poll_id, "responses"), {"choice": "1"}).status_code == 303
    assert learner.post(action(room_id, quiz_id, "responses"), {"choice": ["0", "2"]}).status_code == 303
    page = room_page(learner, room_id)
    assert chosen_options(page) == ["Green", "Sydney", CORRECT_LABEL]
    assert page.count('data-testid="chosen-marker"') == 3

    # Another learner's page marks nothing, because the marks are per learner.
    other = launch_actor(app, test_platform, sub="learner-2", name="Leo Learner", roles=LEARNER)
    assert chosen_options(room_page(other, room_id)) == []


def test_concurrent_answers_store_one_row(app, owner, learner):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    owner.post(action(room_id, poll_id, "publish"))
    # Two browser tabs of the same learner: same session, separate clients.
    tabs = [Actor(app.test_client(use_cookies=False), learner.token, learner.csrf, learner.course_url) for _ in range(2)]
    start = threading.Barrier(len(tabs))
    statuses = []

    def send(tab: Actor, choice: str) -> None:
        start.wait()
        statuses.append(tab.post(action(room_id, poll_id, "responses"), {"choice": choice}).status_code)

    threads = [threading.Thread(target=send, args=(tab, str(index))) for index, tab in enumerate(tabs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [303, 409]
    assert len(responses_of(app, poll_id)) == 1


def test_closed_poll_takes_no_answer(app, owner, learner):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    owner.post(action(room_id, poll_id, "publish"))
    owner.post(action(room_id, poll_id, "close"))
    page = room_page(learner, room_id)
    assert "Favourite colour?" in page
    assert 'name="choice"' not in page

    response = learner.post(action(room_id, poll_id, "responses"), {"choice": "0"})

    assert response.status_code == 409
    assert "takes no more answers" in response.get_data(as_text=True)
    assert responses_of(app, poll_id) == []


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        pytest.param([], "Choose an option", id="no choice"),
        pytest.param(["0", "1"], "Choose one option only", id="two choices on a poll"),
        pytest.param(["3"], "is not one of the options", id="choice out of range"),
    ],
)
def test_invalid_answer_rejected(app, owner, learner, choices, message):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    owner.post(action(room_id, poll_id, "publish"))

    response = learner.post(action(room_id, poll_id, "responses"), {"choice": choices})

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert responses_of(app, poll_id) == []


@pytest.mark.parametrize("who", ["mentor", "instructor", "owner"])
def test_only_learners_answer(request, app, owner, who):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    owner.post(action(room_id, poll_id, "publish"))
    actor = request.getfixturevalue(who)

    response = actor.post(action(room_id, poll_id, "responses"), {"choice": "0"})

    assert response.status_code == 403
    assert responses_of(app, poll_id) == []


def test_viewer_sees_live_poll_read_only(app, owner, mentor):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    owner.post(action(room_id, poll_id, "publish"))

    section = interactions_section(room_page(mentor, room_id))

    assert "Favourite colour?" in section
    assert "Green" in section
    assert "<form" not in section


# Results and correct answers -----------------------------------------------------------------

def test_owner_sees_results(app, owner, learner):
    room_id = new_room(owner)
    quiz_id = create_quiz(app, owner, room_id)
    owner.post(action(room_id, quiz_id, "publish"))
    learner.post(action(room_id, quiz_id, "responses"), {"choice": "2"})

    section = interactions_section(room_page(owner, room_id))
    assert "1 response in total, 1 correct" in section
    assert section.count('data-testid="correct-marker"') == 1

    results = owner.get(action(room_id, quiz_id, "results.json"))
    assert results.status_code == 200
    body = results.get_json()
    assert body["responses"] == 1
    assert body["correct_responses"] == 1
    assert [option["count"] for option in body["options"]] == [0, 0, 1]
    assert [option["correct"] for option in body["options"]] == [False, False, True]


def test_learner_never_sees_correct_answers(app, owner, learner):
    room_id = new_room(owner)
    quiz_id = create_quiz(app, owner, room_id)
    owner.post(action(room_id, quiz_id, "publish"))
    # The owner's page marks the correct option, so the learner checks below can fail.
    assert 'data-testid="correct-marker"' in room_page(owner, room_id)

    before = room_page(learner, room_id)
    assert CORRECT_LABEL in interactions_section(before)
    assert "correct" not in interactions_section(before).lower()
    assert "correct-marker" not in before
    assert " checked" not in interactions_section(before)

    assert learner.post(action(room_id, quiz_id, "responses"), {"choice": ["0", "2"]}).status_code == 303
    after = room_page(learner, room_id)
    assert "Your answer was recorded." in after
    assert "correct" not in interactions_section(after).lower()
    assert "correct-marker" not in after

    results = learner.get(action(room_id, quiz_id, "results.json"))
    assert results.status_code == 403
    assert CORRECT_LABEL not in results.get_data(as_text=True)
    assert "correct" not in results.get_data(as_text=True).lower()


def test_closed_quiz_reveals_nothing_to_learner(app, owner, learner):
    room_id = new_room(owner)
    quiz_id = create_quiz(app, owner, room_id)
    owner.post(action(room_id, quiz_id, "publish"))
    learner.post(action(room_id, quiz_id, "responses"), {"choice": "2"})
    owner.post(action(room_id, quiz_id, "close"))

    page = room_page(learner, room_id)

    assert "Your answer was recorded." in page
    assert "correct" not in interactions_section(page).lower()


# C&C disabled --------------------------------------------------------------------------------

def test_cc_disabled_blocks_publish_and_schedule(app, owner):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    set_cc_enabled(app, False)

    publish = owner.post(action(room_id, poll_id, "publish"))
    schedule = owner.post(action(room_id, poll_id, "schedule"), {"scheduled_at": "2999-01-01T09:00"})

    assert publish.status_code == 403
    assert "C&amp;C is turned off for this LMS installation" in publish.get_data(as_text=True)
    assert schedule.status_code == 403
    poll = stored(app, poll_id)
    assert poll.status == InteractionStatus.DRAFT
    assert poll.scheduled_at is None
    assert 'data-testid="cc-disabled"' in room_page(owner, room_id)


def test_cc_disabled_still_allows_drafts(app, owner):
    room_id = new_room(owner)
    set_cc_enabled(app, False)
    poll_id = create_poll(app, owner, room_id)

    response = owner.post(
        action(room_id, poll_id, "edit"), interaction_fields("poll", "Edited while off", options=["Yes", "No"])
    )

    assert response.status_code == 303
    assert stored(app, poll_id).title == "Edited while off"


def test_cc_disabled_blocks_answer(app, owner, learner):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    owner.post(action(room_id, poll_id, "publish"))
    set_cc_enabled(app, False)

    page = room_page(learner, room_id)
    assert 'data-testid="cc-disabled"' in page
    assert 'name="choice"' not in page

    response = learner.post(action(room_id, poll_id, "responses"), {"choice": "0"})
    assert response.status_code == 403
    assert "C&amp;C is turned off" in response.get_data(as_text=True)
    assert responses_of(app, poll_id) == []


# Who may do what -----------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["learner", "instructor", "mentor"])
def test_non_editors_cannot_create_or_edit(request, app, owner, who):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)
    actor = request.getfixturevalue(who)

    assert actor.get(f"/rooms/{room_id}/interactions/new/poll").status_code == 403
    assert post_interaction(actor, room_id, "poll", "Mine", options=POLL_OPTIONS).status_code == 403
    assert actor.get(action(room_id, poll_id, "edit")).status_code == 403
    assert actor.post(action(room_id, poll_id, "edit"), interaction_fields("poll", "Mine", options=POLL_OPTIONS)).status_code == 403
    for name in ("publish", "schedule", "unschedule", "close", "reopen", "delete"):
        assert actor.post(action(room_id, poll_id, name)).status_code == 403, name
    assert actor.get(action(room_id, poll_id, "results.json")).status_code == 403
    assert interaction_count(app) == 1
    assert stored(app, poll_id).status == InteractionStatus.DRAFT


def test_co_editor_and_admin_create(app, test_platform, owner, instructor):
    room_id = new_room(owner)
    with app.app_context():
        room_owner = db.session.scalar(db.select(User).where(User.name == "Olive Owner"))
        co_editor = db.session.scalar(db.select(User).where(User.name == "Ivan Instructor"))
        db.session.add(RoomCoEditor(room_id=room_id, user_id=co_editor.id, added_by_id=room_owner.id))
        db.session.commit()
    admin = launch_actor(app, test_platform, sub="admin", name="Ada Admin", roles=LEARNER + LMS_ADMIN)

    create_poll(app, instructor, room_id, title="From the co-editor")
    create_poll(app, admin, room_id, title="From the admin")

    assert interaction_count(app) == 2


def test_other_course_gets_404_everywhere(app, owner, outsider):
    room_id = new_room(owner)
    poll_id = create_poll(app, owner, room_id)

    assert outsider.get(f"/rooms/{room_id}/interactions/new/poll").status_code == 404
    assert post_interaction(outsider, room_id, "poll", "Mine", options=POLL_OPTIONS).status_code == 404
    assert outsider.get(action(room_id, poll_id, "edit")).status_code == 404
    assert outsider.post(action(room_id, poll_id, "edit"), interaction_fields("poll", "Mine", options=POLL_OPTIONS)).status_code == 404
    for name in ("publish", "schedule", "unschedule", "close", "reopen", "delete", "responses"):
        assert outsider.post(action(room_id, poll_id, name)).status_code == 404, name
    assert outsider.get(action(room_id, poll_id, "results.json")).status_code == 404
    assert stored(app, poll_id).status == InteractionStatus.DRAFT


def test_interaction_of_another_room_is_404(app, owner):
    first_room = new_room(owner)
    second_room = new_room(owner)
    poll_id = create_poll(app, owner, first_room)

    assert owner.post(action(second_room, poll_id, "publish")).status_code == 404
    assert owner.get(action(second_room, poll_id, "edit")).status_code == 404
    assert stored(app, poll_id).status == InteractionStatus.DRAFT


# Markup ---------------------------------------------------------------------------------------

def test_markup_is_escaped(app, owner, learner):
    room_id = new_room(owner)
    poll_id = create_interaction(
        app,
        owner,
        room_id,
        "poll",
        "<script>alert('title')</script>",
        body="<b>bold</b>",
        options=['<img src=x onerror="alert(1)">', "Plain"],
    )
    owner.post(action(room_id, poll_id, "publish"))

    for page in (room_page(owner, room_id), room_page(learner, room_id)):
        assert "<script>alert(" not in page
        assert "<b>bold</b>" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;alert(" in page
        assert "&lt;b&gt;bold&lt;/b&gt;" in page
        assert "&lt;img src=x" in page
    stored_poll = stored(app, poll_id)
    assert stored_poll.title == "<script>alert('title')</script>"
