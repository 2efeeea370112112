"""The id_token claims of a demo launch, set through lti1p3platform's message launch class."""

from dataclasses import dataclass
from typing import Any

from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract

from demo.claims import DEEP_LINKING_REQUEST, DEEP_LINKING_SETTINGS_CLAIM, MESSAGE_TYPE_CLAIM, TOOL_PLATFORM_CLAIM
from demo.course import COURSE_OFFERING, Course, ResourceLink, User


@dataclass(frozen=True)
class LaunchDetails:
    """The claims of one id_token, except the registration's iss, aud and deployment_id.

    ``link`` is None for a deep-linking request made from the course rather than from a link.
    ``deep_linking_settings`` is the claim's value, and is set only for deep-linking requests.
    """

    course: Course
    user: User
    link: ResourceLink | None
    message_type: str
    document_target: str
    return_url: str
    memberships_url: str
    tool_platform: dict[str, str]
    custom: dict[str, str]
    deep_linking_settings: dict[str, Any] | None = None


class DemoMessageLaunch(LTIAdvantageMessageLaunchAbstract):
    """A launch of the demo platform: claims from ``LaunchDetails``, the form as a dict.

    ``DemoPlatform.authorize`` checks the authentication request before this class runs.
    """

    def __init__(self, request, platform_config, details: LaunchDetails):
        super().__init__(request, platform_config)
        self._details = details

    def validate_preflight_response(self, preflight_response: dict[str, Any]) -> None:
        # The library also requires a state, which OpenID Connect only recommends, and the
        # platform has already checked client_id, redirect_uri and nonce more strictly.
        self._redirect_url = preflight_response["redirect_uri"]

    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        details = self._details
        user = details.user
        course = details.course

        self.set_user_data(user.sub, list(user.roles), full_name=user.name, email_address=user.email)
        self.set_launch_context_claim(
            course.context_id, context_types=[COURSE_OFFERING], context_title=course.title, context_label=course.label
        )
        self.set_custom_parameters_claim(details.custom)
        self.set_launch_presentation_claim(document_target=details.document_target, return_url=details.return_url)
        self.set_nrps(details.memberships_url)
        self.set_extra_claims(
            {
                "given_name": user.given_name,
                "family_name": user.family_name,
                "locale": user.locale,
                TOOL_PLATFORM_CLAIM: details.tool_platform,
            }
        )

        if details.link is not None:
            self.set_resource_link_claim(details.link.id, title=details.link.title)
            if details.link.url:
                self.set_launch_url(details.link.url)

        # The library's set_dl() always sets accept_multiple to true and offers the "embed"
        # target, so the claim is built here. Extra claims are applied after the base message,
        # so this message type replaces the library's LtiResourceLinkRequest.
        if details.message_type == DEEP_LINKING_REQUEST:
            self.set_extra_claims(
                {
                    MESSAGE_TYPE_CLAIM: DEEP_LINKING_REQUEST,
                    DEEP_LINKING_SETTINGS_CLAIM: details.deep_linking_settings,
                }
            )

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Return the launch data (``id_token``, ``state``, ``launch_url``) for the caller to send."""
        return launch_data
