"""Simulated users of the load-and-fault run: LTI launches through the demo platform, browsing and clones.

Each user is one thread with its own ``requests`` session, and it never retries. A request
that fails, times out or responds with another status than the one the step expects counts as
an error. The user then goes on with its next step, or launches again when the step it
depends on failed.
"""

import re
import secrets
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import requests

from demo.platform import DemoPlatform, PlatformRefusal
from tests.support.media_samples import pdf, png

META_PATTERN = r'<meta name="{name}" content="([^"]*)"'
# Every N-th clone request is sent twice with the same idempotency key, as a double click
# does; both must lead to the same job.
DOUBLE_SUBMIT_EVERY = 10
# A user launches again after this many clones, so that launches continue through the run.
RELAUNCH_EVERY = 8


class StepFailed(Exception):
    """A request returned a status the step did not expect, or got no response."""


@dataclass
class LoadStats:
    """Every request's latency and outcome, and every clone request, shared by the user threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    error_examples: list[str] = field(default_factory=list)
    # Clone requests that got their 303: idempotency key -> job id, for every distinct key.
    clone_jobs: dict[str, int] = field(default_factory=dict)
    # Double submits whose second response named another job than the first.
    double_submit_mismatches: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if error:
                self.errors[kind] += 1
                if len(self.error_examples) < 20:
                    self.error_examples.append(f"{kind}: {error}")

    def record_clone(self, key: str, job_id: int) -> None:
        with self.lock:
            self.clone_jobs[key] = job_id

    def record_double_submit_mismatch(self) -> None:
        with self.lock:
            self.double_submit_mismatches += 1

    @property
    def request_count(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


class RequestBudget:
    """A shared cap on the number of requests of the whole run."""

    def __init__(self, limit: int):
        self.remaining = limit
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
            return True


def meta_content(page: str, name: str) -> str:
    match = re.search(META_PATTERN.format(name=re.escape(name)), page)
    if match is None:
        raise StepFailed(f"the page has no <meta name={name!r}>")
    return unescape(match.group(1))


class SimulatedUser:
    """One person in the course: launches, opens pages and, as an instructor, clones their room."""

    def __init__(
        self,
        *,
        user_key: str,
        instructor: bool,
        platform: DemoPlatform,
        tool_url: str,
        stats: LoadStats,
        budget: RequestBudget,
        deadline: float,
        stop: threading.Event,
        think_seconds: float,
        request_timeout: float,
        status_poll_limit: float,
    ):
        self.user_key = user_key
        self.instructor = instructor
        self.platform = platform
        self.tool_url = tool_url
        self.stats = stats
        self.budget = budget
        self.deadline = deadline
        self.stop_event = stop
        self.think_seconds = think_seconds
        self.request_timeout = request_timeout
        self.status_poll_limit = status_poll_limit
        self.session = requests.Session()
        self.launch_token = ""
        self.csrf_token = ""
        self.course_path = ""
        self.room_id: int | None = None
        self.clones = 0

    # Requests

    def _running(self) -> bool:
        return not self.stop_event.is_set() and time.monotonic() < self.deadline

    def _request(self, kind: str, method: str, path: str, expected: int, **kwargs) -> requests.Response:
        """Send one request without retry and record its latency; raise StepFailed on any other status."""
        if not self.budget.take():
            self.stop_event.set()
            raise StepFailed("the run's request budget is spent")
        url = path if path.startswith("http") else self.tool_url + path
        started = time.perf_counter()
        try:
            response = self.session.request(method, url, timeout=self.request_timeout, allow_redirects=False, **kwargs)
        except requests.RequestException as error:
            self.stats.record(kind, time.perf_counter() - started, f"{type(error).__name__} on {method} {urlsplit(url).path}")
            raise StepFailed(str(error)) from None
        elapsed = time.perf_counter() - started
        if response.status_code != expected:
            message = f"{method} {urlsplit(url).path} returned {response.status_code}, expected {expected}"
            self.stats.record(kind, elapsed, message)
            raise StepFailed(message)
        self.stats.record(kind, elapsed, None)
        return response

    def _get(self, kind: str, path: str, expected: int = 200) -> requests.Response:
        return self._request(kind, "GET", path, expected, headers={"X-Launch-Token": self.launch_token})

    def _post(self, kind: str, path: str, data: dict, expected: int = 303, files=None) -> requests.Response:
        form = {"launch_token": self.launch_token, "csrf_token": self.csrf_token, **data}
        return self._request(kind, "POST", path, expected, data=form, files=files)

    # Steps

    def launch(self) -> None:
        """Launch from the course's rooms link: login initiation, the platform's authorization, the launch."""
        self.session = requests.Session()
        login_params = self.platform.login_initiation(self.user_key, "link-rooms")
        login = self._request("launch: login", "GET", "/lti/login", 302, params=login_params)
        auth_request = dict(parse_qsl(urlsplit(login.headers["Location"]).query))
        try:
            redirect_uri, form = self.platform.authorize(auth_request)
        except PlatformRefusal as error:
            self.stats.record("launch: platform", 0.0, str(error))
            raise StepFailed(str(error)) from None
        page = self._request("launch: id_token", "POST", redirect_uri, 200, data=form).text
        self.launch_token = meta_content(page, "launch-token")
        self.csrf_token = meta_content(page, "csrf-token")
        self.course_path = meta_content(page, "page-url")

    def create_source_room(self) -> None:
        """Create the room this instructor clones, with an image and a PDF in it."""
        course_id = self.course_path.split("/")[2]
        created = self._post(
            "room: create", f"/courses/{course_id}/rooms/new",
            {"name": f"Load room of {self.user_key}", "description": "Prepared for the load run", "tags": "load"},
        )
        room_id = int(created.headers["Location"].rsplit("/", 1)[1])
        media = [("diagram.png", png(), "image/png", "A diagram"), ("notes.pdf", pdf(), "application/pdf", "")]
        for file_name, content, media_type, alt_text in media:
            self._post(
                "room: upload", f"/rooms/{room_id}/assets",
                {"title": file_name, "alt_text": alt_text},
                files={"file": (file_name, content, media_type)},
            )
        self.room_id = room_id

    def clone_once(self) -> None:
        """Clone the source room, follow the panel's status until the job ends, then open the new room."""
        key = secrets.token_hex(16)
        self.clones += 1
        response = self._post("clone: request", f"/rooms/{self.room_id}/clone", {"idempotency_key": key})
        job_path = urlsplit(response.headers["Location"]).path
        job_id = int(job_path.rsplit("/", 1)[1])
        self.stats.record_clone(key, job_id)
        if self.clones % DOUBLE_SUBMIT_EVERY == 0:
            again = self._post("clone: repeated request", f"/rooms/{self.room_id}/clone", {"idempotency_key": key})
            if urlsplit(again.headers["Location"]).path != job_path:
                self.stats.record_double_submit_mismatch()

        self._get("clone: panel", job_path)
        poll_until = time.monotonic() + self.status_poll_limit
        while self._running() and time.monotonic() < poll_until:
            status = self._get("clone: status", f"{job_path}/status").json()
            if status["status"] == "succeeded":
                self._get("room: page", urlsplit(status["room_url"]).path)
                return
            if status["status"] == "failed":
                # A failed job is no request error: the report counts failed jobs from the database.
                return
            time.sleep(0.5)

    def _think(self) -> None:
        self.stop_event.wait(self.think_seconds * (0.5 + secrets.randbelow(1000) / 1000))

    def run(self) -> None:
        """Act until the deadline or the stop event; a failed step makes the user launch again."""
        launched = False
        while self._running():
            try:
                if not launched:
                    self.launch()
                    launched = True
                    self._get("course: page", self.course_path)
                if not self.instructor:
                    self._get("health", "/healthz")
                    launched = False
                elif self.room_id is None:
                    self.create_source_room()
                else:
                    self._get("room: page", f"/rooms/{self.room_id}")
                    self.clone_once()
                    if self.clones % RELAUNCH_EVERY == 0:
                        launched = False
            except StepFailed:
                launched = False
            self._think()
