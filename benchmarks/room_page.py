"""Benchmark of the room page (``GET /rooms/<id>``) of a large room, for its owner and for a learner.

The script launches an instructor and a learner through the real login and
launch. It builds the large room of the clone benchmark (1,000 assets, 1,000
storyboard items, 10,000 interactions with responses) in their course with
bulk inserts. Then it requests the room page with each user's launch token and
no cookies, as a page inside the LMS iframe does. It reports the time and SQL
statements of each request, the size of the page and how many assets,
storyboard items and interactions the page lists.

Run it with ``python benchmarks/room_page.py``.
"""

import argparse
import logging
import re
import statistics
import sys
import time
from pathlib import Path

# Make the project's packages importable when the file runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, update  # noqa: E402

from benchmarks.support.instance import migrated_app, temporary_instance  # noqa: E402
from benchmarks.support.lti import INSTRUCTOR, LEARNER, auth_parameters, login_parameters, register_platform, signed_token  # noqa: E402
from benchmarks.support.report import Target, finish, machine_facts, milliseconds, print_machine, print_table  # noqa: E402
from benchmarks.support.rooms import LARGE, LEARNERS, add_learners, build_room, store_sample_blobs  # noqa: E402
from benchmarks.support.statements import StatementCounter  # noqa: E402
from tests.support.jwks_server import KeySetServer  # noqa: E402
from tests.support.pages import meta_content  # noqa: E402
from tests.support.tokens import TestPlatform  # noqa: E402

BASE_URL = "http://localhost"
MAX_STATEMENTS = 20
LISTED_ITEMS = {
    "assets": 'data-testid="asset"',
    "storyboard_items": 'data-testid="storyboard-item"',
    "interactions": 'data-testid="interaction"',
}


def launch_token(app, platform: TestPlatform, sub: str, roles: list[str]) -> tuple[str, int]:
    """Log in and launch as ``sub``; return the page's launch token and the course id."""
    browser = app.test_client()
    response = browser.get("/lti/login", query_string=login_parameters(platform, BASE_URL, sub))
    if response.status_code != 302:
        sys.exit(f"The login of {sub} responded with status {response.status_code}: {response.get_data(as_text=True)[:500]}")
    auth = auth_parameters(response.location)
    token = signed_token(platform, BASE_URL, auth["nonce"], sub, roles)
    response = browser.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    if response.status_code != 200:
        sys.exit(f"The launch of {sub} responded with status {response.status_code}: {response.get_data(as_text=True)[:500]}")
    page = response.get_data(as_text=True)
    course_id = int(re.match(r"/courses/(\d+)/", meta_content(page, "page-url")).group(1))
    return meta_content(page, "launch-token"), course_id


def user_id_of(connection, sub: str) -> int:
    """Return the id of the user whom the test platform launched as ``sub``."""
    from app.models import Identity

    return connection.execute(select(Identity.user_id).where(Identity.sub == sub)).scalar_one()


def request_page(app, counter: StatementCounter, room_id: int, token: str, requests: int) -> dict:
    """Request the room page ``requests`` times with a launch token and no cookies; measure each request."""
    client = app.test_client(use_cookies=False)
    seconds = []
    statements = []
    for _ in range(requests):
        with counter.counting() as sent:
            started = time.perf_counter()
            response = client.get(f"/rooms/{room_id}", headers={"X-Launch-Token": token})
            seconds.append(time.perf_counter() - started)
        statements.append(list(sent))
        if response.status_code != 200:
            sys.exit(f"GET /rooms/{room_id} responded with status {response.status_code}: {response.get_data(as_text=True)[:500]}")
    page = response.get_data(as_text=True)
    return {
        "requests": requests,
        "ms_median": milliseconds(statistics.median(seconds)),
        "ms_max": milliseconds(max(seconds)),
        "statements": sorted({len(sent) for sent in statements}),
        "page_bytes": len(response.get_data()),
        "listed": {name: page.count(marker) for name, marker in LISTED_ITEMS.items()},
        "statement_texts": [" ".join(statement.split()) for statement in statements[-1]],
    }


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5, help="page requests per user (default 5, at most 50)")
    parser.add_argument("--show-statements", action="store_true", help="print the SQL of one request per user")
    parser.add_argument("--keep-instance", action="store_true", help="keep the temporary instance folder for inspection")
    arguments = parser.parse_args()
    if not 1 <= arguments.requests <= 50:
        parser.error("--requests must be between 1 and 50")
    return arguments


def main() -> int:
    arguments = parse_arguments()
    # The key set server logs each request at INFO; the output is for the results only.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    key_server = KeySetServer()
    platform = TestPlatform()
    key_server.keys = [platform.key.public_jwk]
    try:
        with temporary_instance("room-page", keep=arguments.keep_instance) as instance:
            app = migrated_app(instance, base_url=BASE_URL)
            register_platform(app, platform, key_server.url)
            return benchmark(app, platform, arguments)
    finally:
        key_server.stop()


def benchmark(app, platform: TestPlatform, arguments: argparse.Namespace) -> int:
    from app.extensions import db
    from app.models import Room
    from app.models.base import utcnow
    from app.storage import blob_store

    owner_token, course_id = launch_token(app, platform, "owner", INSTRUCTOR)
    learner_token, _course_id = launch_token(app, platform, "learner", LEARNER)
    with app.app_context():
        content_hashes = store_sample_blobs(blob_store())
        started = time.perf_counter()
        with db.engine.begin() as connection:
            owner_id = user_id_of(connection, "owner")
            learner_ids = add_learners(connection, course_id, LEARNERS - 1) + [user_id_of(connection, "learner")]
            built = build_room(
                connection,
                course_id=course_id,
                owner_id=owner_id,
                learner_ids=learner_ids,
                size=LARGE,
                content_hashes=content_hashes,
                now=utcnow(),
            )
            # Learners open only rooms that are visible to them.
            connection.execute(update(Room).where(Room.id == built.room_id).values(visible_to_learners=True))
        build_seconds = time.perf_counter() - started
        facts = machine_facts(db.engine)
        counter = StatementCounter(db.engine)
    print_machine(facts)

    views = {
        "owner": request_page(app, counter, built.room_id, owner_token, arguments.requests),
        "learner": request_page(app, counter, built.room_id, learner_token, arguments.requests),
    }
    counter.close()

    statement_texts = {name: view.pop("statement_texts") for name, view in views.items()}
    if arguments.show_statements:
        for name, texts in statement_texts.items():
            print(f"Statements of the room page for the {name}:")
            for number, text in enumerate(texts, start=1):
                print(f"  {number:2d}. {text[:160]}")
            print()

    print_table(
        ["viewer", "requests", "ms (median)", "ms (max)", "statements", "page KiB", "assets listed",
         "storyboard items listed", "interactions listed"],
        [
            [
                name,
                view["requests"],
                view["ms_median"],
                view["ms_max"],
                ", ".join(map(str, view["statements"])),
                round(view["page_bytes"] / 1024, 1),
                view["listed"]["assets"],
                view["listed"]["storyboard_items"],
                view["listed"]["interactions"],
            ]
            for name, view in views.items()
        ],
    )
    figures = {
        "room": {
            "assets": built.assets,
            "storyboard_items": built.storyboard_items,
            "interactions": built.interactions,
            "deleted_interactions": built.deleted_interactions,
            "responses": built.responses,
            "build_seconds": round(build_seconds, 2),
        },
        **views,
    }
    targets = [
        Target(f"{name}_room_page_statements_max", max(view["statements"]), MAX_STATEMENTS, "statements")
        for name, view in views.items()
    ]
    return finish("room_page", facts, figures, targets)


if __name__ == "__main__":
    sys.exit(main())
