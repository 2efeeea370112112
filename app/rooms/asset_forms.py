"""Forms of a room's media section. The services check every field again."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import Length

from app.models import AssetKind
from app.rooms.uploads import ALT_TEXT_MAX, TITLE_MAX

# The accept attribute of the file input: a hint for the browser's file picker only.
MEDIA_FILE_ACCEPT = (
    "video/mp4,video/webm,video/ogg,audio/mpeg,audio/mp4,audio/ogg,audio/wav,audio/webm,application/pdf,"
    ".pptx,.odp,image/png,image/jpeg,image/gif,image/webp"
)


class AssetUploadForm(FlaskForm):
    # The ids are prefixed, because the room page contains other sections' forms too.
    file = FileField(
        _l("File"),
        id="asset-file",
        validators=[FileRequired(message=_l("Choose a file to upload."))],
        render_kw={"accept": MEDIA_FILE_ACCEPT},
    )
    title = StringField(
        _l("Title"), id="asset-title", validators=[Length(max=TITLE_MAX)], description=_l("Leave empty to use the file name.")
    )
    alt_text = StringField(
        _l("Alt text"),
        id="asset-alt-text",
        validators=[Length(max=ALT_TEXT_MAX)],
        description=_l("Required for images: describe what the image shows for people who cannot see it."),
    )
    kind = SelectField(
        _l("Show as"),
        id="asset-kind",
        choices=[
            SelectChoice("", _l("Detect from the file")),
            SelectChoice(AssetKind.VIDEO.value, _l("Video")),
            SelectChoice(AssetKind.AUDIO.value, _l("Audio")),
            SelectChoice(AssetKind.DOCUMENT.value, _l("Document")),
            SelectChoice(AssetKind.SLIDES.value, _l("Slides")),
            SelectChoice(AssetKind.IMAGE.value, _l("Image")),
        ],
        default="",
        description=_l("A PDF can be shown as a document or as slides."),
    )
    captions = FileField(
        _l("Captions (WebVTT, optional)"),
        id="asset-captions",
        description=_l("For video or audio: a .vtt file."),
        render_kw={"accept": ".vtt,text/vtt"},
    )


class DeleteAssetForm(FlaskForm):
    """The delete button's form: the CSRF token is its only field."""
