"""Which room an LMS link opens, including links that came along with a copied course.

A launch with the custom parameter ``room`` = X in course B resolves by the
first rule that applies:

1. a known placement (platform, B, resource_link_id) opens its room;
2. X belongs to B: the placement is bound to X;
3. B already has a clone of X: the placement is bound to it;
4. otherwise the copy flow: the first instructor chooses between a clone of
   X (allowed with copy evidence, or as X's owner or co-editor) and an empty
   room; learners see "not set up yet" and nothing is created.

A room of another course never opens in B. Custom parameters are hints typed
by instructors; copy evidence comes only from the platform's history
parameters and from the tool's own records, within one platform.
"""

import logging
from dataclasses import dataclass, field

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import (
    Course,
    CourseCopySource,
    CopyEvidenceKind,
    Placement,
    PlacementResolution,
    ResolutionChoice,
    ResolutionRule,
    Room,
    RoomCoEditor,
    RoomStatus,
    User,
)
from app.placements.history import History, histories_from_custom

logger = logging.getLogger(__name__)

RESOURCE_LINK_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
ROOM_PARAMETER = "room"
MAX_ROOM_HINT = 64


@dataclass
class Destination:
    """Where a launch lands.

    ``kind`` is "course" (the room list), "room", "copy_choice" (the copy
    flow's page), or "not_set_up" (a learner before any instructor).
    """

    kind: str
    placement: Placement | None = None
    room: Room | None = None
    # The copy flow: the room to clone, the course it is in, and whether this user may clone it.
    clone_source: Room | None = None
    can_clone: bool = False
    # Whether the copy flow may name the room and its course: with evidence, or for its owner or co-editor.
    may_see_source: bool = False
    has_evidence: bool = False
    notice: str = ""
    evidence: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LaunchContext:
    platform_id: int
    course: Course
    user: User
    is_instructor: bool
    is_lms_admin: bool
    cc_enabled: bool


def _custom(claims: dict) -> dict:
    custom = claims.get(CUSTOM_CLAIM)
    return custom if isinstance(custom, dict) else {}


def _text(value, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


# Recording copy evidence


def _source_courses_by_context(session: Session, platform_id: int, context_ids: tuple[str, ...]) -> list[Course]:
    if not context_ids:
        return []
    found = {
        course.context_id: course
        for course in session.scalars(
            select(Course).where(Course.platform_id == platform_id, Course.context_id.in_(context_ids))
        )
    }
    return [found[context_id] for context_id in context_ids if context_id in found]


def _source_courses_by_link(session: Session, platform_id: int, link_ids: tuple[str, ...]) -> list[Course]:
    if not link_ids:
        return []
    placements = {
        placement.resource_link_id: placement
        for placement in session.scalars(
            select(Placement).where(Placement.platform_id == platform_id, Placement.resource_link_id.in_(link_ids))
        )
    }
    courses = []
    for link_id in link_ids:
        placement = placements.get(link_id)
        if placement is not None:
            courses.append(session.get(Course, placement.course_id))
    return courses


def record_copy_sources(session: Session, platform_id: int, course: Course, histories: dict[str, History]) -> list[str]:
    """Store the courses the histories say ``course`` was copied from; return a description of the evidence."""
    found: list[tuple[Course, int, CopyEvidenceKind]] = []
    for name, kind in (
        ("context_history", CopyEvidenceKind.CONTEXT_HISTORY),
        ("canvas_previous_context_ids", CopyEvidenceKind.CANVAS_PREVIOUS_CONTEXT_IDS),
    ):
        history = histories[name]
        for distance, source in enumerate(_source_courses_by_context(session, platform_id, history.ids), start=1):
            found.append((source, distance, kind))
    link_history = histories["resource_link_history"]
    for distance, source in enumerate(_source_courses_by_link(session, platform_id, link_history.ids), start=1):
        found.append((source, distance, CopyEvidenceKind.RESOURCE_LINK_HISTORY))

    if not found:
        return []
    known = {
        row.source_course_id: row
        for row in session.scalars(select(CourseCopySource).where(CourseCopySource.course_id == course.id))
    }
    evidence = []
    for source, distance, kind in found:
        if source.id == course.id:
            continue
        evidence.append(f"{kind.value}: {source.context_id}")
        row = known.get(source.id)
        if row is None:
            try:
                with session.begin_nested():
                    row = CourseCopySource(course_id=course.id, source_course_id=source.id, distance=distance, evidence=kind)
                    session.add(row)
            except IntegrityError:
                continue
            known[source.id] = row
            logger.info("Course %s recorded as copied from course %s (%s)", course.id, source.id, kind.value)
        elif distance < row.distance:
            row.distance = distance
    session.flush()
    return evidence


def copy_sources(session: Session, course: Course) -> list[Course]:
    """Return the courses ``course`` was copied from, the most recent copy first."""
    rows = session.scalars(
        select(CourseCopySource)
        .where(CourseCopySource.course_id == course.id)
        .order_by(CourseCopySource.distance, CourseCopySource.id)
    )
    return [row.source_course for row in rows]


# Placements


def get_or_create_placement(session: Session, platform_id: int, course: Course, resource_link_id: str, title: str) -> Placement:
    lookup = select(Placement).where(
        Placement.platform_id == platform_id,
        Placement.course_id == course.id,
        Placement.resource_link_id == resource_link_id,
    )
    placement = session.scalars(lookup).first()
    if placement is None:
        try:
            with session.begin_nested():
                placement = Placement(platform_id=platform_id, course_id=course.id, resource_link_id=resource_link_id, title=title)
                session.add(placement)
        except IntegrityError:
            placement = session.scalars(lookup).one()
    if title and placement.title != title:
        placement.title = title
    session.flush()
    return placement


def bind_placement(session: Session, placement: Placement, room: Room) -> bool:
    """Bind an unbound placement to a room; False if another request bound it first."""
    result = session.execute(
        update(Placement)
        .where(Placement.id == placement.id, Placement.room_id.is_(None))
        .values(room_id=room.id)
        .execution_options(synchronize_session=False)
    )
    session.refresh(placement)
    return result.rowcount == 1


def record_resolution(
    session: Session,
    placement: Placement,
    *,
    user: User | None,
    rule: ResolutionRule,
    choice: ResolutionChoice,
    named_room: Room | None = None,
    room: Room | None = None,
    evidence: list[str] | None = None,
) -> None:
    session.add(
        PlacementResolution(
            placement_id=placement.id,
            user_id=user.id if user else None,
            rule=rule,
            choice=choice,
            named_room_id=named_room.id if named_room else None,
            room_id=room.id if room else None,
            evidence="; ".join(evidence or [])[:2000],
        )
    )
    session.flush()


# Resolution


def _clone_in_course(session: Session, room: Room, course_id: int) -> Room | None:
    return session.scalars(
        select(Room)
        .where(Room.course_id == course_id, Room.parent_id == room.id, Room.deleted_at.is_(None))
        .order_by(Room.id)
    ).first()


def _effective_source(session: Session, named: Room, sources: list[Course]) -> Room:
    """Follow copies of copies: a link naming A's room X in C (copied from B, from A) means B's clone of X."""
    for source in sources:
        if source.id == named.course_id:
            return named
        clone = _clone_in_course(session, named, source.id)
        if clone is not None:
            return clone
    return named


def _room_named_by_link_history(session: Session, platform_id: int, history: History, sources: list[Course]) -> Room | None:
    """Return the room that a known placement in the resource-link history opened, newest first."""
    source_ids = {source.id for source in sources}
    for link_id in history.ids:
        placement = session.scalars(
            select(Placement).where(
                Placement.platform_id == platform_id,
                Placement.resource_link_id == link_id,
                Placement.room_id.is_not(None),
            )
        ).first()
        if placement is not None and placement.course_id in source_ids:
            return placement.room
    return None


def is_editor_of(session: Session, user: User, room: Room) -> bool:
    if room.owner_id == user.id:
        return True
    return bool(
        session.scalar(select(exists().where(RoomCoEditor.room_id == room.id, RoomCoEditor.user_id == user.id)))
    )


def find_room_by_public_id(session: Session, platform_id: int, public_id: str) -> Room | None:
    room = session.scalars(select(Room).where(Room.public_id == public_id)).first()
    if room is None or room.deleted_at is not None:
        return None
    # Evidence and rooms count only within one platform.
    if session.get(Course, room.course_id).platform_id != platform_id:
        return None
    return room


def resolve_launch(session: Session, context: LaunchContext, claims: dict) -> Destination:
    """Decide where a resource-link launch lands, binding its placement when a rule allows it."""
    course = context.course
    resource_link = claims.get(RESOURCE_LINK_CLAIM) if isinstance(claims.get(RESOURCE_LINK_CLAIM), dict) else {}
    resource_link_id = _text(resource_link.get("id"), 255)
    custom = _custom(claims)
    histories = histories_from_custom(custom)
    evidence = record_copy_sources(session, context.platform_id, course, histories)
    room_hint = _text(custom.get(ROOM_PARAMETER), MAX_ROOM_HINT)

    # Course-level launches (no room named, or Canvas course navigation) open the room list.
    if not resource_link_id or resource_link_id == course.context_id:
        return Destination("course", evidence=evidence)
    placement = get_or_create_placement(session, context.platform_id, course, resource_link_id, _text(resource_link.get("title"), 500))

    # Rule 1: a known placement opens its room.
    if placement.room_id is not None:
        room = placement.room
        if room is not None and room.course_id == course.id and room.deleted_at is None:
            return Destination("room", placement=placement, room=room)
        return Destination("course", placement=placement, notice="deleted")
    if not room_hint:
        return Destination("course", placement=placement, evidence=evidence)

    named = find_room_by_public_id(session, context.platform_id, room_hint)
    sources = copy_sources(session, course)
    # The platform's history wins over a room value that disagrees with it.
    from_link_history = _room_named_by_link_history(session, context.platform_id, histories["resource_link_history"], sources)
    if from_link_history is not None:
        named = from_link_history
    if named is None:
        return Destination("course", placement=placement, notice="unknown_room", evidence=evidence)

    # Rule 2: the room belongs to this course.
    if named.course_id == course.id:
        if bind_placement(session, placement, named):
            record_resolution(session, placement, user=context.user, rule=ResolutionRule.ROOM_OF_COURSE,
                              choice=ResolutionChoice.BOUND, named_room=named, room=named)
        return Destination("room", placement=placement, room=placement.room)

    # Rule 3: this course already has a clone of the room (or of its clone in a course in between).
    source = _effective_source(session, named, sources)
    for candidate in (source, named):
        clone = _clone_in_course(session, candidate, course.id)
        if clone is not None:
            if bind_placement(session, placement, clone):
                record_resolution(session, placement, user=context.user, rule=ResolutionRule.EXISTING_CLONE,
                                  choice=ResolutionChoice.BOUND, named_room=named, room=clone, evidence=evidence)
            return Destination("room", placement=placement, room=placement.room)

    # Rule 4: the copy flow.
    if not (context.is_instructor or context.is_lms_admin):
        record_resolution(session, placement, user=context.user, rule=ResolutionRule.COPY_FLOW,
                          choice=ResolutionChoice.NOT_SET_UP, named_room=named, evidence=evidence)
        return Destination("not_set_up", placement=placement)
    record_resolution(session, placement, user=context.user, rule=ResolutionRule.COPY_FLOW,
                      choice=ResolutionChoice.OFFERED, named_room=named, evidence=evidence)
    destination = describe_copy_choice(session, context, placement, named)
    destination.evidence = evidence
    return destination


def describe_copy_choice(session: Session, context: LaunchContext, placement: Placement, named: Room) -> Destination:
    """Work out what the copy flow offers this instructor for a link naming ``named``."""
    sources = copy_sources(session, context.course)
    source = _effective_source(session, named, sources)
    has_evidence = source.course_id in {course_source.id for course_source in sources}
    may_clone = has_evidence or is_editor_of(session, context.user, source) or is_editor_of(session, context.user, named)
    ready = source.status == RoomStatus.READY and source.deleted_at is None
    return Destination(
        "copy_choice",
        placement=placement,
        clone_source=source,
        can_clone=may_clone and context.cc_enabled and ready,
        may_see_source=may_clone,
        has_evidence=has_evidence,
    )
