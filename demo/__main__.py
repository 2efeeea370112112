"""Run the demo LMS: ``python -m demo --port 5001 --tool-url http://127.0.0.1:5000``.

The issuer and every URL the demo publishes use ``localhost``, while the server binds to
``--host`` (127.0.0.1 by default). A tool at 127.0.0.1 is then on another site than the LMS,
as it is under Canvas or Moodle, so the browser treats its cookies as third-party cookies.
"""

import argparse
import logging
import sys
from pathlib import Path

from app.logging_setup import SecretMaskingFilter
from demo.app import build_platform, create_app, registration_command
from demo.keys import load_or_create_private_key

logger = logging.getLogger("demo")

KEY_FILE_NAME = "platform-private-key.pem"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def parse_custom_parameter(value: str) -> tuple[str, str]:
    name, separator, parameter_value = value.partition("=")
    if not separator or not name:
        raise argparse.ArgumentTypeError(f"Custom parameters have the form NAME=VALUE, not {value!r}.")
    return name, parameter_value


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m demo", description="Run the demo LMS for rooms-lti.")
    parser.add_argument("--host", default="127.0.0.1", help="Address to bind to (default: 127.0.0.1).")
    parser.add_argument(
        "--port", type=int, default=5001, help="Port to listen on. The issuer is http://localhost:PORT (default: 5001)."
    )
    parser.add_argument(
        "--tool-url",
        default="http://127.0.0.1:5000",
        help="Base URL of the rooms-lti tool (default: http://127.0.0.1:5000).",
    )
    parser.add_argument(
        "--client-id", default="rooms-demo", help="Client id of the tool's registration (default: rooms-demo)."
    )
    parser.add_argument("--deployment-id", default="1", help="Deployment id sent in launches (default: 1).")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("instance/demo"),
        help="Folder of the platform's private key, created on first start (default: instance/demo).",
    )
    parser.add_argument(
        "--token-audience",
        default=None,
        help="Audience that client assertions must name at the token endpoint (default: the token URL).",
    )
    parser.add_argument(
        "--custom",
        action="append",
        type=parse_custom_parameter,
        default=[],
        metavar="NAME=VALUE",
        help="A tool-level custom parameter sent in every launch; repeat for several.",
    )
    parser.add_argument(
        "--registered",
        action="store_true",
        help="Do not print the command that registers the demo LMS with the tool, because it is registered already.",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The tool's filter keeps login hints, states and nonces of the request lines out of the log.
    for handler in logging.getLogger().handlers:
        handler.addFilter(SecretMaskingFilter())

    if arguments.host not in LOOPBACK_HOSTS:
        logger.warning(
            "The demo LMS has no sign-in, so anyone who can reach %s can launch the tool as any demo user.",
            arguments.host,
        )

    arguments.data_dir.mkdir(parents=True, exist_ok=True)
    private_key_pem = load_or_create_private_key(arguments.data_dir / KEY_FILE_NAME)
    platform = build_platform(
        issuer=f"http://localhost:{arguments.port}",
        tool_url=arguments.tool_url,
        client_id=arguments.client_id,
        deployment_id=arguments.deployment_id,
        private_key_pem=private_key_pem,
        token_audience=arguments.token_audience,
        tool_custom=dict(arguments.custom),
    )
    app = create_app(platform, registered=arguments.registered)

    logger.info("Demo LMS at %s, signing with key %s", platform.course_url, platform.signing_key.kid)
    if not arguments.registered:
        print(f"Register the demo LMS with the tool once:\n  {registration_command(platform)}\n", flush=True)
    app.run(host=arguments.host, port=arguments.port, threaded=True, debug=False, use_reloader=False)


if __name__ == "__main__":
    main()
