"""The run and demo commands: prepare the database and keys, then serve."""

import atexit
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time

import click
import requests
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from app.extensions import db
from app.lti import keys
from app.lti.platforms import PlatformFields, save_platform
from app.models import DeploymentPolicy

logger = logging.getLogger(__name__)

DEMO_CLIENT_ID = "rooms-demo"
DEMO_DEPLOYMENT_ID = "1"
# prctl option from <linux/prctl.h>.
PR_SET_PDEATHSIG = 1


def prepare_database() -> None:
    """Apply migrations and make sure the tool has signing keys."""
    upgrade()
    keys.ensure_keys(db.session, current_app.config["ROOMS_KEY_ENCRYPTION_KEY"])
    db.session.commit()


def _serve(host: str, port: int) -> None:
    app = current_app._get_current_object()
    logger.info("rooms-lti serving on http://%s:%s", host, port)
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--no-worker", is_flag=True, help="Do not start a job consumer beside the web server.")
@with_appcontext
def serve_command(host, port, no_worker):
    """Apply migrations, then serve the tool and one job consumer."""
    exit_on_sigterm()
    prepare_database()
    if not no_worker:
        start_worker_process()
    _serve(host, port)


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise click.ClickException(f"The demo LMS exited with status {process.returncode}.")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise click.ClickException(f"The demo LMS did not respond at {url} within {seconds:g} seconds.")


@click.command("demo")
@click.option("--port", default=5000, show_default=True, type=int, help="Port of the tool.")
@click.option("--lms-port", default=5001, show_default=True, type=int, help="Port of the demo LMS.")
@with_appcontext
def demo_command(port, lms_port):
    """Run the tool and the demo LMS beside it, registered with each other.

    The tool listens on 127.0.0.1 and the demo LMS on localhost, which the
    browser treats as another site, as it would treat a real LMS.
    """
    exit_on_sigterm()
    prepare_database()

    issuer = f"http://localhost:{lms_port}"
    tool_url = f"http://127.0.0.1:{port}"
    save_platform(
        db.session,
        PlatformFields(
            issuer=issuer,
            client_id=DEMO_CLIENT_ID,
            auth_login_url=f"{issuer}/auth",
            auth_token_url=f"{issuer}/token",
            jwks_url=f"{issuer}/jwks",
            name="Demo LMS",
            deployment_policy=DeploymentPolicy.APPROVE,
            deployment_ids=[DEMO_DEPLOYMENT_ID],
        ),
    )
    db.session.commit()
    start_worker_process()

    data_dir = os.path.join(current_app.instance_path, "demo")
    lms = subprocess.Popen(
        [
            sys.executable, "-m", "demo",
            "--host", "127.0.0.1",
            "--port", str(lms_port),
            "--tool-url", tool_url,
            "--client-id", DEMO_CLIENT_ID,
            "--deployment-id", DEMO_DEPLOYMENT_ID,
            "--data-dir", data_dir,
            "--registered",
        ],
        # The flask command marks its environment; the demo's own server would
        # then refuse to start, taking itself for code run under `flask run`.
        env={name: value for name, value in os.environ.items() if name != "FLASK_RUN_FROM_CLI"},
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    atexit.register(lms.terminate)
    _wait_until_up(f"http://127.0.0.1:{lms_port}/jwks", lms)

    click.echo(f"\nDemo LMS: open http://localhost:{lms_port}/ in a browser.\nTool: {tool_url}\n")
    _serve("127.0.0.1", port)


@click.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1), help="Worker threads.")
@click.option("--no-periodic", is_flag=True, help="Do not run periodic tasks in this consumer.")
@with_appcontext
def worker_command(workers, no_periodic):
    """Run a job consumer in the foreground until interrupted."""
    from huey.consumer import Consumer

    from app.queue import huey, load_tasks, set_task_app

    load_tasks()
    set_task_app(current_app._get_current_object())
    consumer = Consumer(
        huey,
        workers=workers,
        periodic=not no_periodic,
        initial_delay=0.1,
        backoff=1.15,
        max_delay=1.0,
        worker_type="thread",
    )
    logger.info("Job consumer starting with %d worker threads", workers)
    consumer.run()


def _die_with_parent() -> None:
    """Ask Linux to send SIGTERM to this child when its parent exits, however it exits."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def start_worker_process() -> subprocess.Popen:
    """Start one job consumer beside the web server, as a child process that ends with it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker"],
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    atexit.register(process.terminate)
    return process


def exit_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit, so that atexit stops the child processes."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
