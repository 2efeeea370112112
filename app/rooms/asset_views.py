"""Routes of a room's media: upload and delete for editors, and the signed media URLs.

Upload and delete load the room first, so a room of another course is a 404, then
reject anyone who may not edit it with 403. A media URL needs no launch session: its
signed token names the asset and the course (see ``app.rooms.media_urls``).
"""

import logging

from flask import Blueprint, abort, current_app, make_response, redirect, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from app.errors import render_error
from app.extensions import db
from app.models import Asset, AssetKind, Room
from app.models.base import utcnow
from app.rooms import assets, media_urls, permissions
from app.rooms.asset_forms import AssetUploadForm, DeleteAssetForm
from app.rooms.exceptions import RoomError
from app.rooms.media_types import ODP, PPTX
from app.rooms.media_urls import MediaPart
from app.rooms.uploads import UploadedFile
from app.rooms.views import load_room, render_room_error
from app.storage import BlobNotFound, blob_store

logger = logging.getLogger(__name__)

bp = Blueprint("assets", __name__)

# Browsers cannot show these in a tab, so they are sent as downloads.
DOWNLOAD_ONLY_MEDIA_TYPES = frozenset({PPTX.media_type, ODP.media_type})


@bp.app_template_global()
def asset_upload_form() -> AssetUploadForm:
    return AssetUploadForm()


@bp.app_template_global()
def asset_media_url(asset: Asset, course_id: int, part: str = MediaPart.CONTENT, *, learner_view: bool = False) -> str:
    return media_urls.media_url(asset, course_id, MediaPart(part), learner_view=learner_view)


def _load_editable_room(room_id: int):
    room, access = load_room(room_id)
    if not permissions.can_edit_room(db.session, access, room):
        abort(403)
    return room, access


def _uploaded_file(storage: FileStorage | None) -> UploadedFile | None:
    # An optional file input left empty arrives as a part with no file name.
    if storage is None or not storage.filename:
        return None
    return UploadedFile(stream=storage.stream, file_name=storage.filename, content_type=storage.mimetype)


def _form_errors(form) -> str:
    # Each message names its field, such as "Title: Field cannot be longer than 200 characters."
    return " ".join(
        f"{form[name].label.text}: {message}" if name in form and name != "csrf_token" else str(message)
        for name, messages in form.errors.items()
        for message in messages
    )


@bp.post("/rooms/<int:room_id>/assets")
def upload(room_id: int):
    room, access = _load_editable_room(room_id)
    user_id = access.user.id

    form = AssetUploadForm()
    if not form.validate_on_submit():
        logger.info("Upload to room %s by user %s rejected: %s", room_id, user_id, _form_errors(form))
        return render_room_error(room, _form_errors(form), 422)

    try:
        assets.add_asset(
            db.session,
            blob_store(),
            room,
            access.user,
            upload=_uploaded_file(form.file.data),
            title=form.title.data,
            alt_text=form.alt_text.data,
            kind=AssetKind(form.kind.data) if form.kind.data else None,
            captions=_uploaded_file(form.captions.data),
            max_bytes=current_app.config["ROOMS_MAX_ASSET_BYTES"],
        )
    except RoomError as error:
        db.session.rollback()
        logger.info("Upload to room %s by user %s rejected: %s", room_id, user_id, error.message)
        return render_room_error(room, error.message, error.status)

    db.session.commit()
    return redirect(url_for("rooms.show", room_id=room_id, _anchor="assets-title"), code=303)


@bp.post("/rooms/<int:room_id>/assets/<int:asset_id>/delete")
def delete(room_id: int, asset_id: int):
    room, access = _load_editable_room(room_id)
    asset = db.session.get(Asset, asset_id)
    if asset is None or asset.room_id != room.id:
        abort(404)
    if not DeleteAssetForm().validate_on_submit():
        abort(400)

    content_hashes = assets.delete_asset(db.session, room, asset, access.user)
    db.session.commit()

    # The bytes go only once the row's deletion is committed, and only if no other asset refers to them.
    assets.release_unreferenced_blobs(db.session, blob_store(), content_hashes)
    db.session.commit()
    return redirect(url_for("rooms.show", room_id=room_id, _anchor="assets-title"), code=303)


@bp.get("/media/<token>")
def media(token: str):
    """Send an asset's file or captions, with byte ranges, to any client with a valid media URL.

    A URL handed to a learner or viewer also needs the room to be available to learners
    now, so hiding a room ends its media URLs at once. An editor's URL works until it
    expires (``ROOMS_MEDIA_URL_MAX_AGE``).
    """
    try:
        link = media_urls.read_media_token(token)
    except RoomError as error:
        return render_error(error.status, _("Media not available"), error.message)

    asset = assets.find_asset(db.session, link.asset_id, course_id=link.course_id)
    if asset is None or (link.part == MediaPart.CAPTIONS and not asset.captions_hash):
        logger.info("Media link rejected: asset %s not found in course %s", link.asset_id, link.course_id)
        return render_error(
            404, _("Media not available"), _("This media file was deleted, or it belongs to another course.")
        )
    if link.learner_view and not db.session.get(Room, asset.room_id).is_available_to_learners(utcnow()):
        logger.info("Media link rejected: room %s of asset %s is not available to learners", asset.room_id, asset.id)
        return render_error(404, _("Media not available"), _("This room is not open to learners at the moment."))

    if link.part == MediaPart.CAPTIONS:
        return _send_blob(
            asset.captions_hash, mimetype="text/vtt", download_name=asset.captions_file_name or "captions.vtt", asset=asset
        )
    return _send_blob(
        asset.content_hash,
        mimetype=asset.media_type,
        download_name=asset.file_name,
        asset=asset,
        as_attachment=asset.media_type in DOWNLOAD_ONLY_MEDIA_TYPES,
    )


def _send_blob(content_hash: str, *, mimetype: str, download_name: str, asset: Asset, as_attachment: bool = False):
    """Stream stored bytes, with 206 for a Range request and 416 for an unsatisfiable one."""
    store = blob_store()
    try:
        size = store.size(content_hash)
        stream = store.open(content_hash)
    except BlobNotFound:
        logger.error("Blob %s of asset %s is missing from the store", content_hash, asset.id)
        return render_error(404, _("Media not available"), _("The file of this media is missing. Upload it again."))

    response = send_file(
        stream,
        mimetype=mimetype,
        as_attachment=as_attachment,
        download_name=download_name,
        conditional=False,
        etag=content_hash,
        last_modified=asset.created_at,
    )
    # send_file cannot tell the length of a file object, and range handling needs it.
    response.content_length = size
    response.cache_control.private = True
    try:
        return response.make_conditional(request, accept_ranges=True, complete_length=size)
    except RequestedRangeNotSatisfiable:
        response.close()
        # The app's error handler would drop the Content-Range header that a 416 carries.
        rejected = make_response(
            render_error(416, _("Invalid range"), _("The requested byte range is outside the file of %(size)d bytes.", size=size))
        )
        rejected.headers["Content-Range"] = f"bytes */{size}"
        return rejected
