"""A platform key set served over real HTTP on 127.0.0.1, counting its fetches."""

import json
import threading
import time
from dataclasses import dataclass, field

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class KeySetServer:
    keys: list[dict] = field(default_factory=list)
    cache_control: str = "max-age=3600"
    # Seconds to wait before answering; tests set it above the tool's timeout.
    delay: float = 0.0
    fetches: int = 0
    url: str = ""

    def __post_init__(self):
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/jwks"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @Request.application
    def _wsgi(self, request: Request) -> Response:
        with self._lock:
            self.fetches += 1
        if self.delay:
            time.sleep(self.delay)
        response = Response(json.dumps({"keys": self.keys}), mimetype="application/json")
        if self.cache_control:
            response.headers["Cache-Control"] = self.cache_control
        return response

    def stop(self) -> None:
        self._server.shutdown()
