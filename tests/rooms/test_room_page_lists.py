"""The room page's lists of media, storyboard items and interactions, one page of each at a time."""

import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest

from app.extensions import db
from app.models import Asset, AssetKind, Interaction, InteractionKind, InteractionStatus, Room, StoryboardItem, StoryboardItemKind
from app.rooms.views import LIST_PAGE_SIZE
from tests.support.actors import INSTRUCTOR, LEARNER, launch_actor

ASSETS = LIST_PAGE_SIZE + 2
STORYBOARD_ITEMS = LIST_PAGE_SIZE + 1
INTERACTIONS = LIST_PAGE_SIZE + 5


@pytest.fixture
def owner(app, test_platform):
    return launch_actor(app, test_platform, sub="owner", name="Olive Owner", roles=INSTRUCTOR)


@pytest.fixture
def learner(app, test_platform):
    return launch_actor(app, test_platform, sub="learner", name="Lena Learner", roles=LEARNER)


@pytest.fixture
def full_room(app, owner) -> int:
    """A room visible to learners with one page and a bit of media, storyboard items and published polls."""
    response = owner.post(f"/courses/{owner.course_id}/rooms/new", {"name": "Full room"})
    assert response.status_code == 303, response.get_data(as_text=True)
    room_id = int(response.location.rsplit("/", 1)[1])
    with app.app_context():
        db.session.get(Room, room_id).visible_to_learners = True
        db.session.add_all(
            Asset(room_id=room_id, kind=AssetKind.DOCUMENT, title=f"Asset {number}", file_name=f"{number}.pdf",
                  media_type="application/pdf", size_bytes=10, content_hash=f"{number:064x}")
            for number in range(ASSETS)
        )
        db.session.add_all(
            StoryboardItem(room_id=room_id, position=position, kind=StoryboardItemKind.NOTE, note=f"Step {position}")
            for position in range(STORYBOARD_ITEMS)
        )
        db.session.add_all(
            Interaction(room_id=room_id, kind=InteractionKind.POLL, title=f"Poll {number}", options=["Yes", "No"],
                        status=InteractionStatus.PUBLISHED)
            for number in range(INTERACTIONS)
        )
        db.session.commit()
    return room_id


def listed(page: str, testid: str) -> int:
    return page.count(f'data-testid="{testid}"')


def room_page_links(page: str, room_id: int) -> list[dict[str, str]]:
    """Return the query arguments of every link on the page to the room page itself."""
    return [
        dict(parse_qsl(urlsplit(unescape(href)).query))
        for href in re.findall(rf'href="(/rooms/{room_id}\?[^"]*)"', page)
    ]


def test_first_page_lists_one_page_of_each(owner, full_room):
    page = owner.get(f"/rooms/{full_room}").get_data(as_text=True)

    assert listed(page, "asset") == LIST_PAGE_SIZE
    assert listed(page, "storyboard-item") == LIST_PAGE_SIZE
    assert listed(page, "interaction") == LIST_PAGE_SIZE
    assert page.count("Page 1 of 2") == 3
    assert {"interactions_page": "2"} in room_page_links(page, full_room)


def test_second_page_keeps_other_lists_pages(owner, full_room):
    page = owner.get(f"/rooms/{full_room}", query_string={"interactions_page": 2, "assets_page": 2}).get_data(as_text=True)

    assert listed(page, "interaction") == INTERACTIONS - LIST_PAGE_SIZE
    assert listed(page, "asset") == ASSETS - LIST_PAGE_SIZE
    assert listed(page, "storyboard-item") == LIST_PAGE_SIZE
    assert f'Poll {LIST_PAGE_SIZE}<' in page
    assert {"assets_page": "2", "storyboard_page": "2", "interactions_page": "2"} in room_page_links(page, full_room)
    assert {"interactions_page": "2"} in room_page_links(page, full_room)
    page_url = re.search(r'<meta name="page-url" content="([^"]*)">', page).group(1)
    assert dict(parse_qsl(urlsplit(unescape(page_url)).query)) == {"assets_page": "2", "interactions_page": "2"}


def test_storyboard_numbers_span_pages(owner, full_room):
    page = owner.get(f"/rooms/{full_room}", query_string={"storyboard_page": 2}).get_data(as_text=True)

    assert listed(page, "storyboard-item") == 1
    assert f'start="{LIST_PAGE_SIZE + 1}"' in page
    assert f"Move item {STORYBOARD_ITEMS} up" in page
    assert f"Move item {STORYBOARD_ITEMS} down" not in page


def test_storyboard_media_choice_lists_every_asset(owner, full_room):
    page = owner.get(f"/rooms/{full_room}").get_data(as_text=True)
    choice = re.search(r'<select id="storyboard-asset" name="asset_id">(.*?)</select>', page, re.S).group(1)

    assert choice.count("<option") == ASSETS


def test_page_past_end_shows_first_page(owner, full_room):
    page = owner.get(f"/rooms/{full_room}", query_string={"interactions_page": 99}).get_data(as_text=True)

    assert listed(page, "interaction") == LIST_PAGE_SIZE
    assert "Poll 0<" in page


def test_invalid_page_number_shows_first_page(owner, full_room):
    response = owner.get(f"/rooms/{full_room}", query_string={"assets_page": "-3", "storyboard_page": "x"})

    assert response.status_code == 200
    assert listed(response.get_data(as_text=True), "asset") == LIST_PAGE_SIZE


def test_learner_gets_pages_without_media_choice(learner, full_room):
    page = learner.get(f"/rooms/{full_room}", query_string={"interactions_page": 2}).get_data(as_text=True)

    assert listed(page, "interaction") == INTERACTIONS - LIST_PAGE_SIZE
    assert 'id="storyboard-asset"' not in page
