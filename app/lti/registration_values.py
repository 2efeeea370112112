"""The values an LMS administrator enters when registering the tool by hand."""

# Tool-level custom parameters: the platforms expand them on every launch, and
# the tool reads them to recognise copied courses.
TOOL_CUSTOM_PARAMETERS = {
    "context_history": "$Context.id.history",
    "resource_link_history": "$ResourceLink.id.history",
    "canvas_previous_context_ids": "$Canvas.course.previousContextIds.recursive",
}

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def tool_urls(base_url: str) -> dict[str, str]:
    base_url = base_url.rstrip("/")
    return {
        "login": f"{base_url}/lti/login",
        "launch": f"{base_url}/lti/launch",
        "jwks": f"{base_url}/lti/jwks",
        "register": f"{base_url}/lti/register",
        "canvas_json": f"{base_url}/lti/canvas.json",
    }


def moodle_manual_values(base_url: str) -> list[tuple[str, str]]:
    """The fields of Moodle's "Configure a tool manually" form, in the form's order."""
    urls = tool_urls(base_url)
    custom = "\n".join(f"{name}={value}" for name, value in TOOL_CUSTOM_PARAMETERS.items())
    return [
        ("Tool name", "rooms-lti"),
        ("Tool URL", urls["launch"]),
        ("LTI version", "LTI 1.3"),
        ("Public key type", "Keyset URL"),
        ("Public keyset", urls["jwks"]),
        ("Initiate login URL", urls["login"]),
        ("Redirection URI(s)", urls["launch"]),
        ("Custom parameters", custom),
        ("Supports Deep Linking (Content-Item Message)", "Yes"),
        ("Content Selection URL", urls["launch"]),
        ("Share launcher's name with tool", "Always"),
        ("Share launcher's email with tool", "Always"),
        ("IMS LTI Names and Role Provisioning", "Use this service to retrieve members' information as per privacy settings"),
    ]
