"""Short-lived signed URLs for an asset's bytes.

A ``<video>`` or ``<audio>`` element fetches byte ranges of its source by itself and
cannot add the ``X-Launch-Token`` header, and the launch token must never go into a URL.
So media URLs carry their own token instead: the asset id, the course it was shown in
and which part (the media file or its captions), signed with the app's secret key and
timestamped. It grants access to that one file only, until it expires. A URL handed to
a user who may open the room only while it is available to learners also stops working
as soon as the room is hidden or its availability ends.
"""

import enum
import logging
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.models import Asset
from app.rooms.exceptions import ExpiredMediaLink, InvalidMediaLink

logger = logging.getLogger(__name__)

MEDIA_URL_SALT = "rooms-media-url"
TOKEN_MAX_LENGTH = 500


class MediaPart(enum.StrEnum):
    CONTENT = "content"
    CAPTIONS = "captions"


@dataclass(frozen=True)
class MediaLink:
    """The grant of a valid media URL: one part of one asset, for pages of one course.

    ``learner_view`` marks a URL handed to a user who sees the room only while it is
    available to learners, so that the URL follows the room's availability.
    """

    asset_id: int
    course_id: int
    part: MediaPart
    learner_view: bool = False

    def to_payload(self) -> dict:
        payload = {"a": self.asset_id, "c": self.course_id, "p": self.part.value}
        if self.learner_view:
            payload["l"] = 1
        return payload

    @classmethod
    def from_payload(cls, payload) -> "MediaLink | None":
        try:
            return cls(
                asset_id=int(payload["a"]),
                course_id=int(payload["c"]),
                part=MediaPart(payload["p"]),
                learner_view=payload.get("l") == 1,
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            return None


def media_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=MEDIA_URL_SALT)


def media_url(asset: Asset, course_id: int, part: MediaPart = MediaPart.CONTENT, *, learner_view: bool = False) -> str:
    """Return a signed URL for one part of the asset, valid for ``ROOMS_MEDIA_URL_MAX_AGE`` seconds."""
    link = MediaLink(asset_id=asset.id, course_id=course_id, part=part, learner_view=learner_view)
    return url_for("assets.media", token=media_serializer().dumps(link.to_payload()))


def read_media_token(token: str) -> MediaLink:
    """Return what a media URL's token grants; raise ExpiredMediaLink or InvalidMediaLink."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise InvalidMediaLink(_("This media link is invalid. Reload the room page to get a new one."))
    try:
        payload = media_serializer().loads(token, max_age=current_app.config["ROOMS_MEDIA_URL_MAX_AGE"])
    except SignatureExpired:
        logger.info("Media link rejected: expired")
        raise ExpiredMediaLink(_("This media link has expired. Reload the room page to get a new one.")) from None
    except BadSignature:
        logger.info("Media link rejected: invalid signature")
        raise InvalidMediaLink(_("This media link is invalid. Reload the room page to get a new one.")) from None

    link = MediaLink.from_payload(payload)
    if link is None:
        logger.warning("Media link rejected: signed payload has an unexpected shape")
        raise InvalidMediaLink(_("This media link is invalid. Reload the room page to get a new one."))
    return link
