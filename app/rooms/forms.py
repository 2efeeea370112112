"""Forms of the rooms pages. Each field's limits are checked again by the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.models.rooms import ROOM_DESCRIPTION_MAX, ROOM_NAME_MAX


class RoomForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=ROOM_NAME_MAX)])
    description = TextAreaField(_l("Description"), validators=[Length(max=ROOM_DESCRIPTION_MAX)])
    tags = StringField(_l("Tags"), description=_l("Separate tags with commas."))
    # The fingerprint of the stored details that an edit form was opened with.
    original = HiddenField()


class VisibilityForm(FlaskForm):
    visible = BooleanField(_l("Visible to learners"))
    # NOTE: times are entered and shown in UTC; the browser's time zone is not used yet.
    available_from = DateTimeLocalField(_l("Available from (UTC)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    available_until = DateTimeLocalField(_l("Available until (UTC)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])


class TransferForm(FlaskForm):
    new_owner_id = SelectField(_l("New owner"), coerce=int, validators=[DataRequired()])
