"""Co-editors of a room, chosen from the course roster (NRPS) or from users who launched.

Only instructors of the course (including teaching assistants) can become
co-editors. A roster member who has never opened the tool gets a user row
and an identity, so that their first launch finds them.
"""

import logging
from dataclasses import asdict, dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.extensions import cache
from app.lti.nrps import RosterMember, RosterUnavailable, fetch_roster
from app.models import CourseMembership, CourseRole, Identity, Platform, Room, RoomCoEditor, User
from app.rooms.exceptions import InvalidRoomInput

logger = logging.getLogger(__name__)

ROSTER_CACHE_SECONDS = 600
ROSTER_CACHE_PREFIX = "nrps-roster:"


@dataclass(frozen=True)
class Candidate:
    key: str
    name: str
    email: str
    source: str  # "roster" or "launched"


def list_co_editors(session: Session, room: Room) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(RoomCoEditor, RoomCoEditor.user_id == User.id)
            .where(RoomCoEditor.room_id == room.id)
            .order_by(User.name, User.id)
        )
    )


def _cached_roster(session: Session, room: Room, *, refresh: bool) -> list[RosterMember]:
    key = f"{ROSTER_CACHE_PREFIX}{room.course_id}"
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return [RosterMember(**member) for member in cached]
    course = room.course
    platform = session.get(Platform, course.platform_id)
    roster = fetch_roster(session, platform, course)
    cache.set(key, [asdict(member) for member in roster], timeout=ROSTER_CACHE_SECONDS)
    return roster


def list_candidates(session: Session, room: Room, *, refresh_roster: bool = False) -> tuple[list[Candidate], str | None]:
    """Return the instructors who could become co-editors, and a message if the roster is unavailable."""
    excluded = {room.owner_id, *(user.id for user in list_co_editors(session, room))}
    launched = session.execute(
        select(User, Identity.sub)
        .join(CourseMembership, CourseMembership.user_id == User.id)
        .join(Identity, Identity.user_id == User.id)
        .where(
            CourseMembership.course_id == room.course_id,
            CourseMembership.role == CourseRole.INSTRUCTOR,
            Identity.platform_id == room.course.platform_id,
        )
    ).all()
    known_subs = {sub: user for user, sub in launched}

    candidates = {
        f"user:{user.id}": Candidate(f"user:{user.id}", user.display_name, user.email, "launched")
        for user, _sub in launched
        if user.id not in excluded
    }

    roster_message = None
    try:
        roster = _cached_roster(session, room, refresh=refresh_roster)
    except RosterUnavailable as error:
        roster, roster_message = [], error.message
    for member in roster:
        if member.course_role != CourseRole.INSTRUCTOR:
            continue
        user = known_subs.get(member.sub)
        if user is not None:
            continue
        candidates[f"member:{member.sub}"] = Candidate(f"member:{member.sub}", member.name or member.email, member.email, "roster")

    ordered = sorted(candidates.values(), key=lambda candidate: (candidate.name.lower(), candidate.key))
    return ordered, roster_message


def _user_for_roster_member(session: Session, room: Room, sub: str) -> User:
    roster = _cached_roster(session, room, refresh=False)
    member = next((member for member in roster if member.sub == sub), None)
    if member is None or member.course_role != CourseRole.INSTRUCTOR:
        raise InvalidRoomInput(_("That person is not an instructor in this course's roster."))

    platform_id = room.course.platform_id
    identity = session.scalars(select(Identity).where(Identity.platform_id == platform_id, Identity.sub == sub)).first()
    if identity is not None:
        return identity.user

    user = User(name=member.name, email=member.email)
    session.add(user)
    session.flush()
    try:
        with session.begin_nested():
            session.add(Identity(platform_id=platform_id, sub=sub, user_id=user.id))
    except IntegrityError:
        identity = session.scalars(select(Identity).where(Identity.platform_id == platform_id, Identity.sub == sub)).one()
        return identity.user
    session.add(CourseMembership(user_id=user.id, course_id=room.course_id, role=CourseRole.INSTRUCTOR))
    session.flush()
    return user


def add_co_editor(session: Session, room: Room, candidate_key: str, actor: User) -> User:
    kind, _separator, value = (candidate_key or "").partition(":")
    if kind == "user" and value.isdigit():
        user = session.get(User, int(value))
        membership = session.scalars(
            select(CourseMembership).where(CourseMembership.user_id == int(value), CourseMembership.course_id == room.course_id)
        ).first()
        if user is None or membership is None or membership.role != CourseRole.INSTRUCTOR:
            raise InvalidRoomInput(_("Only instructors of this course can become co-editors."))
    elif kind == "member" and value:
        try:
            user = _user_for_roster_member(session, room, value)
        except RosterUnavailable as error:
            raise InvalidRoomInput(error.message) from None
    else:
        raise InvalidRoomInput(_("Choose a person from the list."))

    if user.id == room.owner_id:
        raise InvalidRoomInput(_("The owner already edits this room."))
    exists = session.scalars(
        select(RoomCoEditor).where(RoomCoEditor.room_id == room.id, RoomCoEditor.user_id == user.id)
    ).first()
    if exists is None:
        try:
            with session.begin_nested():
                session.add(RoomCoEditor(room_id=room.id, user_id=user.id, added_by_id=actor.id))
        except IntegrityError:
            pass
    logger.info("User %s added user %s as co-editor of room %s", actor.id, user.id, room.id)
    return user


def remove_co_editor(session: Session, room: Room, user_id: int, actor: User) -> None:
    row = session.scalars(
        select(RoomCoEditor).where(RoomCoEditor.room_id == room.id, RoomCoEditor.user_id == user_id)
    ).first()
    if row is None:
        raise InvalidRoomInput(_("That person is not a co-editor of this room."))
    session.delete(row)
    session.flush()
    logger.info("User %s removed user %s as co-editor of room %s", actor.id, user_id, room.id)
