"""Command-line interface: ``flask --app app <command>``."""

import logging
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.extensions import db
from app.lti import keys
from app.lti.platforms import InvalidRegistration, PlatformFields, find_platforms, save_platform
from app.lti.registration_values import moodle_manual_values, tool_urls
from app.models import DeploymentPolicy, Platform

logger = logging.getLogger(__name__)

platform_cli = click.Group("platform", help="Add, list and remove LMS platform registrations.")
keys_cli = click.Group("keys", help="Manage the tool's signing keys.")


def print_moodle_values(base_url: str) -> None:
    click.echo("\nValues for the LMS (Moodle: Site administration > Plugins > Manage tools > configure a tool manually):")
    for label, value in moodle_manual_values(base_url):
        lines = value.splitlines() or [""]
        click.echo(f"  {label}: {lines[0]}")
        for line in lines[1:]:
            click.echo(f"  {' ' * len(label)}  {line}")
    urls = tool_urls(base_url)
    click.echo(f"\nCanvas developer key JSON: {urls['canvas_json']}")


@platform_cli.command("add")
@click.option("--issuer", required=True, help="The platform's issuer (iss), e.g. https://canvas.instructure.com.")
@click.option("--client-id", required=True, help="The client id the platform assigned to this tool.")
@click.option("--auth-url", "auth_login_url", required=True, help="The platform's OIDC authentication URL.")
@click.option("--jwks-url", required=True, help="The platform's public keyset (JWKS) URL.")
@click.option(
    "--token-url",
    "auth_token_url",
    default=None,
    help="The platform's OAuth 2 access token URL. An update without this option keeps the stored URL, and an empty value clears it.",
)
@click.option(
    "--audience",
    "auth_audience",
    default=None,
    help="Audience of client assertions, or empty for the token URL. An update without this option keeps the stored value.",
)
@click.option("--deployment", "deployment_ids", multiple=True, help="A deployment id; repeat for several.")
@click.option(
    "--policy",
    type=click.Choice([policy.value for policy in DeploymentPolicy]),
    default=None,
    help=(
        "What happens on a launch with an unknown deployment id: queue it for approval, or accept it. "
        "A new platform gets approve, and an update without this option keeps the stored policy."
    ),
)
@click.option("--name", default="", help="A display name for the platform.")
@click.option(
    "--frame-origins",
    default=None,
    help=(
        "Origins, separated by spaces, that may show the tool in a frame besides the issuer's and the auth URL's, "
        "such as https://school.instructure.com for hosted Canvas. An update without this option keeps the stored "
        "origins, and an empty value clears them."
    ),
)
@click.option(
    "--storage-target-origin",
    default=None,
    help=(
        "Origin of the frame that responds to LTI platform storage messages, when it is not the auth URL's. "
        "An update without this option keeps the stored origin, and an empty value clears it."
    ),
)
@with_appcontext
def platform_add(
    issuer,
    client_id,
    auth_login_url,
    jwks_url,
    auth_token_url,
    auth_audience,
    deployment_ids,
    policy,
    name,
    frame_origins,
    storage_target_origin,
):
    """Add a platform, or update the one with the same issuer and client id."""
    fields = PlatformFields(
        issuer=issuer,
        client_id=client_id,
        auth_login_url=auth_login_url,
        jwks_url=jwks_url,
        auth_token_url=auth_token_url,
        auth_audience=auth_audience,
        name=name,
        deployment_policy=None if policy is None else DeploymentPolicy(policy),
        deployment_ids=list(deployment_ids),
        frame_origins=None if frame_origins is None else frame_origins.split(),
        storage_target_origin=storage_target_origin,
    )
    try:
        platform, created = save_platform(db.session, fields)
    except InvalidRegistration as error:
        db.session.rollback()
        raise click.UsageError(str(error)) from None
    db.session.commit()

    click.echo(f"{'Added' if created else 'Updated'} platform {platform.id}: {platform.issuer} (client id {platform.client_id})")
    _warn_of_similar_issuers(platform)
    print_moodle_values(current_app.config["ROOMS_BASE_URL"])


def _warn_of_similar_issuers(platform: Platform) -> None:
    # Launches carry one exact issuer, so "https://lms.example.edu/" and
    # "https://lms.example.edu" are two platforms, and one of them never matches.
    bare = platform.issuer.rstrip("/")
    similar = db.session.scalars(
        db.select(Platform).where(
            Platform.issuer.in_([bare, f"{bare}/"]), Platform.issuer != platform.issuer, Platform.id != platform.id
        )
    ).all()
    for other in similar:
        click.echo(
            f"Warning: platform {other.id} has the issuer {other.issuer}, which differs from this one only by a "
            "trailing slash. Use the issuer exactly as the LMS sends it, and remove the other registration "
            "with `flask --app app platform remove` if it is unused.",
            err=True,
        )


@platform_cli.command("list")
@with_appcontext
def platform_list():
    """List the registered platforms and their deployments."""
    platforms = db.session.scalars(db.select(Platform).order_by(Platform.id)).all()
    if not platforms:
        click.echo("No platforms are registered. Add one with `flask --app app platform add`.")
        return
    for platform in platforms:
        click.echo(f"{platform.id}\t{platform.issuer}\tclient_id={platform.client_id}\tpolicy={platform.deployment_policy.value}")
        click.echo(f"\tauth URL: {platform.auth_login_url}")
        click.echo(f"\tJWKS URL: {platform.jwks_url}")
        click.echo(f"\ttoken URL: {platform.auth_token_url or '-'}")
        click.echo(f"\tframe origins: {platform.frame_origins or '-'}")
        click.echo(f"\tstorage target origin: {platform.storage_target_origin or '-'}")
        for deployment in platform.deployments:
            state = "C&C on" if deployment.cc_enabled else "C&C off"
            click.echo(f"\tdeployment {deployment.deployment_id}: {deployment.status.value}, {state}")


@platform_cli.command("remove")
@click.argument("selector")
@click.option("--client-id", default=None, help="With an issuer as SELECTOR: remove only this client id.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def platform_remove(selector, client_id, yes):
    """Remove a platform by id, or by issuer (and client id).

    Removing a platform deletes its deployments, identities and courses.
    """
    platforms = find_platforms(db.session, selector, client_id)
    if not platforms:
        raise click.ClickException(f"No platform matches {selector!r}. `flask --app app platform list` shows them.")
    if len(platforms) > 1:
        raise click.ClickException(f"Issuer {selector!r} has {len(platforms)} registrations: add --client-id.")
    platform = platforms[0]
    if not yes:
        click.confirm(f"Remove platform {platform.id} ({platform.issuer}, client id {platform.client_id})?", abort=True)
    db.session.delete(platform)
    db.session.commit()
    click.echo(f"Removed platform {platform.id}.")


@keys_cli.command("create")
@with_appcontext
def keys_create():
    """Create the active and the next signing keys, unless the tool has them already."""
    keys.ensure_keys(db.session, current_app.config["ROOMS_KEY_ENCRYPTION_KEY"])
    db.session.commit()
    for jwk in keys.published_jwks(db.session)["keys"]:
        click.echo(f"Published: {jwk['kid']}")


@keys_cli.command("rotate")
@click.option(
    "--overlap-days",
    default=None,
    type=click.IntRange(min=1),
    help="Days a retired key stays published before it is deleted; defaults to ROOMS_KEY_OVERLAP_DAYS, which is 7 unless set.",
)
@with_appcontext
def keys_rotate(overlap_days):
    """Promote the published next key to active and publish a new next key."""
    if overlap_days is None:
        overlap_days = current_app.config["ROOMS_KEY_OVERLAP_DAYS"]
    active = keys.rotate_keys(
        db.session, current_app.config["ROOMS_KEY_ENCRYPTION_KEY"], timedelta(days=overlap_days)
    )
    db.session.commit()
    click.echo(f"Active signing key: {active.kid}")
    for jwk in keys.published_jwks(db.session)["keys"]:
        click.echo(f"Published: {jwk['kid']}")


def register_commands(app: Flask) -> None:
    from app.serve import demo_command, serve_command, worker_command

    app.cli.add_command(platform_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(serve_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(worker_command)
