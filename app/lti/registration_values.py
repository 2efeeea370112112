"""The values that register the tool with an LMS: Moodle's manual form, the Canvas
developer-key JSON and the client metadata of LTI Dynamic Registration."""

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

TOOL_NAME = "rooms-lti"
TOOL_DESCRIPTION = "Course rooms with media, a storyboard and prepared polls, quizzes and announcements."
RESOURCE_LINK_LABEL = "Rooms"
DEEP_LINKING_LABEL = "Add a room"

# Tool-level custom parameters: the platforms expand them on every launch, and
# the tool reads them to recognise copied courses.
TOOL_CUSTOM_PARAMETERS = {
    "context_history": "$Context.id.history",
    "resource_link_history": "$ResourceLink.id.history",
    "canvas_previous_context_ids": "$Canvas.course.previousContextIds.recursive",
}

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

# The id_token claims the tool requests: the user's identity, name, email and language.
TOOL_CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email", "locale"]

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"

TOOL_CONFIGURATION_KEY = "https://purl.imsglobal.org/spec/lti-tool-configuration"
CANVAS_PLATFORM = "canvas.instructure.com"
CANVAS_PRIVACY_LEVEL_KEY = "https://canvas.instructure.com/lti/privacy_level"


def tool_urls(base_url: str) -> dict[str, str]:
    base_url = base_url.rstrip("/")
    return {
        "login": f"{base_url}/lti/login",
        "launch": f"{base_url}/lti/launch",
        "jwks": f"{base_url}/lti/jwks",
        "register": f"{base_url}/lti/register",
        "canvas_json": f"{base_url}/lti/canvas.json",
    }


def tool_domain(base_url: str) -> str:
    """Return the host of the tool's URL, with the port when it has one (``rooms.example.edu:8443``)."""
    return urlsplit(base_url).netloc


def moodle_manual_values(base_url: str) -> list[tuple[str, str]]:
    """Return the fields of Moodle's "Configure a tool manually" form, in the form's order.

    Labels and option names are Moodle's own, marked for translation; URLs and
    custom parameters are entered exactly as given.
    """
    urls = tool_urls(base_url)
    custom = "\n".join(f"{name}={value}" for name, value in TOOL_CUSTOM_PARAMETERS.items())
    return [
        (_l("Tool name"), TOOL_NAME),
        (_l("Tool URL"), urls["launch"]),
        (_l("LTI version"), "LTI 1.3"),
        (_l("Public key type"), _l("Keyset URL")),
        (_l("Public keyset"), urls["jwks"]),
        (_l("Initiate login URL"), urls["login"]),
        (_l("Redirection URI(s)"), urls["launch"]),
        (_l("Custom parameters"), custom),
        (_l("Supports Deep Linking (Content-Item Message)"), _l("Yes")),
        (_l("Content Selection URL"), urls["launch"]),
        (_l("Share launcher's name with tool"), _l("Always")),
        (_l("Share launcher's email with tool"), _l("Always")),
        (
            _l("IMS LTI Names and Role Provisioning"),
            _l("Use this service to retrieve members' information as per privacy settings"),
        ),
    ]


def canvas_developer_key(base_url: str) -> dict:
    """Return the LTI 1.3 developer-key configuration that Canvas accepts under "Paste JSON".

    The fields follow Canvas's "Configuring LTI Advantage Tools" guide
    (doc/api/lti_dev_key_config.md in instructure/canvas-lms): the course
    navigation opens the course's room list, and the link selection placement
    sends a deep-linking request to add a room to a module.
    """
    urls = tool_urls(base_url)
    return {
        "title": TOOL_NAME,
        "description": TOOL_DESCRIPTION,
        "oidc_initiation_url": urls["login"],
        "target_link_uri": urls["launch"],
        "public_jwk_url": urls["jwks"],
        "scopes": [NRPS_SCOPE],
        "extensions": [
            {
                "platform": CANVAS_PLATFORM,
                "domain": tool_domain(base_url),
                "tool_id": TOOL_NAME,
                "privacy_level": "public",
                "settings": {
                    "text": RESOURCE_LINK_LABEL,
                    "placements": [
                        {
                            "placement": "course_navigation",
                            "message_type": RESOURCE_LINK_REQUEST,
                            "target_link_uri": urls["launch"],
                            "text": RESOURCE_LINK_LABEL,
                        },
                        {
                            "placement": "link_selection",
                            "message_type": DEEP_LINKING_REQUEST,
                            "target_link_uri": urls["launch"],
                            "text": DEEP_LINKING_LABEL,
                        },
                    ],
                },
            }
        ],
        "custom_fields": dict(TOOL_CUSTOM_PARAMETERS),
    }


def dynamic_registration_metadata(base_url: str) -> dict:
    """Return the client metadata that the tool posts to a platform's registration endpoint.

    The fields are those of OpenID Connect Dynamic Client Registration plus the
    LTI tool configuration object of LTI Dynamic Registration 1.0. Canvas reads
    the message ``placements`` and its own privacy level. Moodle reads neither
    (mod/lti/classes/local/ltiopenid/registration_helper.php): it turns the
    ``name`` and ``email`` claims into "Always" for sharing the launcher's name
    and email, and the NRPS scope into the Names and Role Provisioning setting.
    """
    urls = tool_urls(base_url)
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls["login"],
        "redirect_uris": [urls["launch"]],
        "client_name": TOOL_NAME,
        "jwks_uri": urls["jwks"],
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": NRPS_SCOPE,
        TOOL_CONFIGURATION_KEY: {
            "domain": tool_domain(base_url),
            "description": TOOL_DESCRIPTION,
            "target_link_uri": urls["launch"],
            "custom_parameters": dict(TOOL_CUSTOM_PARAMETERS),
            "claims": list(TOOL_CLAIMS),
            "messages": [
                {
                    "type": RESOURCE_LINK_REQUEST,
                    "target_link_uri": urls["launch"],
                    "label": RESOURCE_LINK_LABEL,
                    "placements": ["course_navigation"],
                },
                {
                    "type": DEEP_LINKING_REQUEST,
                    "target_link_uri": urls["launch"],
                    "label": DEEP_LINKING_LABEL,
                    # Canvas's module-item picker. Moodle reads no placements: this message
                    # turns on its "Supports Deep Linking" and sets the Content Selection URL.
                    "placements": ["link_selection"],
                },
            ],
            CANVAS_PRIVACY_LEVEL_KEY: "public",
        },
    }
