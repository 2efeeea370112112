"""The demo LMS's scripts in Chromium: launch forms and the platform storage responder."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from werkzeug.serving import make_server

from demo.app import create_app
from demo.platform import DemoPlatform
from tests.demo.demo_process import free_port

from playwright.sync_api import sync_playwright

from tests.support.browser import CHROMIUM_ARGS, chromium_path

pytestmark = [pytest.mark.slow]

# A stand-in for the tool's login page. It stores a value in the platform, reads it back,
# sends a message with an unknown subject, and shows every response in its body as JSON lines.
STORAGE_PROBE_PAGE = """<!doctype html>
<html lang="en"><head><title>Storage probe</title></head><body><pre id="log"></pre>
<script>
  const platformOrigin = new URLSearchParams(location.search).get("platform_origin");
  const log = document.getElementById("log");
  window.addEventListener("message", (event) => {
    log.textContent += JSON.stringify({origin: event.origin, data: event.data}) + "\\n";
    if (event.data.subject === "lti.put_data.response") {
      window.parent.postMessage({subject: "lti.get_data", message_id: "2", key: "state"}, platformOrigin);
      window.parent.postMessage({subject: "lti.get_data", message_id: "3", key: "nonce"}, platformOrigin);
      window.parent.postMessage({subject: "lti.frobnicate", message_id: "4"}, platformOrigin);
    }
  });
  window.parent.postMessage({subject: "lti.capabilities", message_id: "0"}, platformOrigin);
  window.parent.postMessage({subject: "lti.put_data", message_id: "1", key: "state", value: "s-123"}, platformOrigin);
</script></body></html>
"""


@pytest.fixture
def storage_probe_tool():
    """Serve the probe page as the tool's login URL on 127.0.0.1, and yield the tool's base URL."""
    body = STORAGE_PROBE_PAGE.encode("utf-8")

    class ProbeHandler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        # A POST login initiation gets the same page, because its parameters do not matter here.
        do_POST = do_GET

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), ProbeHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def demo_with_probe(storage_probe_tool, platform_private_key_pem, tool):
    port = free_port()
    platform = DemoPlatform(
        issuer=f"http://localhost:{port}",
        private_key_pem=platform_private_key_pem,
        client_id="rooms-test",
        deployment_id="1",
        # The probe reads the platform origin from its query string, which the launch keeps.
        tool_login_url=f"{storage_probe_tool}/lti/login?platform_origin=http://localhost:{port}",
        tool_redirect_uris={f"{storage_probe_tool}/lti/launch"},
        tool_launch_url=f"{storage_probe_tool}/lti/launch",
        tool_jwks=tool.jwks,
    )
    server = make_server("127.0.0.1", port, create_app(platform), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{port}"
    server.shutdown()


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def probe_responses(page) -> list[dict]:
    """Wait until the framed probe has logged its five responses, and return them."""
    # The element exists before its frame is named, so take the frame from the element.
    frame = page.wait_for_selector("iframe[name=tool-frame]").content_frame()
    frame.wait_for_function(
        "(document.getElementById('log')?.textContent.trim().split('\\n').length ?? 0) >= 5", timeout=10_000
    )
    lines = frame.locator("#log").text_content().strip().splitlines()
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize("login_method", ["get", "post"])
def test_platform_storage_responder(browser, demo_with_probe, login_method):
    page = browser.new_page()
    page.goto(f"{demo_with_probe}/?platform_storage=on&login_method={login_method}")
    page.locator("form.launch-form").first.locator("button[value=frame]").click()

    responses = {response["data"]["message_id"]: response for response in probe_responses(page)}

    assert {response["origin"] for response in responses.values()} == {demo_with_probe}
    assert responses["0"]["data"]["subject"] == "lti.capabilities.response"
    assert {"subject": "lti.put_data"} in responses["0"]["data"]["supported_messages"]
    assert responses["1"]["data"] == {
        "subject": "lti.put_data.response", "message_id": "1", "key": "state", "value": "s-123"
    }
    assert responses["2"]["data"]["value"] == "s-123"
    assert responses["3"]["data"]["value"] is None
    assert responses["4"]["data"]["error"]["code"] == "unsupported_subject"


def test_post_login_form_hidden_after_submit(browser, demo_with_probe):
    page = browser.new_page()
    page.goto(f"{demo_with_probe}/?login_method=post")
    page.locator("form.launch-form").first.locator("button[value=frame]").click()

    page.wait_for_selector("iframe[name=tool-frame]").content_frame().wait_for_selector("#log", state="attached")

    assert page.locator("form.frame-launch-form").is_hidden()
