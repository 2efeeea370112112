"""Deep linking on the platform side: the request settings, and the checks on the tool's response.

lti1p3platform checks only a response's signature, message type and item types. These checks
add what a real LMS also verifies: who sent the response to whom, and that it responds to the
request that the platform sent.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from demo.claims import (
    CONTENT_ITEMS_CLAIM,
    DATA_CLAIM,
    DEEP_LINKING_RESPONSE,
    DEPLOYMENT_ID_CLAIM,
    MESSAGE_TYPE_CLAIM,
    VERSION_CLAIM,
    audiences,
)
from demo.course import PLACEMENT_DEEP_LINKING, ResourceLink
from demo.exceptions import PlatformRefusal

ACCEPTED_CONTENT_TYPES = ("ltiResourceLink",)
DOCUMENT_TARGETS = ("iframe", "window")


@dataclass
class DeepLinkingRequest:
    """A deep-linking request sent to the tool, waiting for the tool's response."""

    request_id: str
    deployment_id: str
    data: str | None
    answered: bool = False


def settings_claim(request: DeepLinkingRequest, deep_link_return_url: str) -> dict[str, Any]:
    """Return the deep_linking_settings claim of a request: one ltiResourceLink, created at once."""
    settings: dict[str, Any] = {
        "deep_link_return_url": f"{deep_link_return_url}?request={request.request_id}",
        "accept_types": list(ACCEPTED_CONTENT_TYPES),
        "accept_presentation_document_targets": list(DOCUMENT_TARGETS),
        "accept_multiple": False,
        "auto_create": True,
    }
    if request.data is not None:
        settings["data"] = request.data
    return settings


def check_response_claims(claims: Mapping[str, Any], *, client_id: str, issuer: str) -> None:
    """Raise PlatformRefusal unless the response is an LTI 1.3 deep-linking response from the tool to this platform."""
    message_type = claims.get(MESSAGE_TYPE_CLAIM)
    if message_type != DEEP_LINKING_RESPONSE:
        raise PlatformRefusal(f"The message_type must be {DEEP_LINKING_RESPONSE!r}, not {message_type!r}.")
    if claims.get(VERSION_CLAIM) != "1.3.0":
        raise PlatformRefusal(f"The LTI version must be '1.3.0', not {claims.get(VERSION_CLAIM)!r}.")
    if claims.get("iss") != client_id:
        raise PlatformRefusal(
            f"The deep-linking response's iss must be the client id {client_id!r}, not {claims.get('iss')!r}."
        )
    if issuer not in audiences(claims):
        raise PlatformRefusal(
            f"The deep-linking response's aud must name the platform issuer {issuer!r}, "
            f"not {claims.get('aud')!r}."
        )
    if "exp" not in claims:
        raise PlatformRefusal("The deep-linking response has no exp claim.")
    if not isinstance(claims.get("nonce"), str) or not claims["nonce"]:
        raise PlatformRefusal("The deep-linking response has no nonce.")


def check_response_matches_request(claims: Mapping[str, Any], request: DeepLinkingRequest) -> None:
    """Raise PlatformRefusal unless the response echoes the request's deployment_id and data."""
    deployment_id = claims.get(DEPLOYMENT_ID_CLAIM)
    if deployment_id != request.deployment_id:
        raise PlatformRefusal(
            f"The deep-linking response's deployment_id {deployment_id!r} is not the request's "
            f"{request.deployment_id!r}."
        )

    if request.data is None and DATA_CLAIM in claims:
        raise PlatformRefusal("The deep-linking response has a data claim, but the request sent no data.")
    if request.data is not None and DATA_CLAIM not in claims:
        raise PlatformRefusal("The deep-linking response has no data claim, but the request sent data.")
    if request.data is not None and claims[DATA_CLAIM] != request.data:
        raise PlatformRefusal("The deep-linking response's data differs from the data the request sent.")


def content_items(claims: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the response's content items, raising PlatformRefusal for any that this platform rejects."""
    items = claims.get(CONTENT_ITEMS_CLAIM, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise PlatformRefusal("The deep-linking response's content_items must be a list of objects.")
    if len(items) > 1:
        raise PlatformRefusal(
            f"The deep-linking response has {len(items)} content items, but the request allowed one "
            "(accept_multiple is false)."
        )

    for item in items:
        if item.get("type") not in ACCEPTED_CONTENT_TYPES:
            raise PlatformRefusal(
                f"Content item type {item.get('type')!r} is not accepted: use one of {ACCEPTED_CONTENT_TYPES}."
            )
        for name in ("title", "url"):
            if name in item and not isinstance(item[name], str):
                raise PlatformRefusal(f"The content item's {name} must be a string.")
        custom = item.get("custom", {})
        if not isinstance(custom, dict) or not all(isinstance(value, str) for value in custom.values()):
            raise PlatformRefusal("The content item's custom parameters must be an object of strings.")
    return items


def link_from_content_item(item: Mapping[str, Any]) -> ResourceLink:
    """Build the new course link for an accepted ltiResourceLink content item."""
    return ResourceLink(
        id=f"link-{secrets.token_hex(6)}",
        title=item.get("title") or "Untitled link",
        custom=dict(item.get("custom", {})),
        placement=PLACEMENT_DEEP_LINKING,
        url=item.get("url") or None,
    )
