"""Forms of the rooms pages. Each field's limits are checked again by the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.models.rooms import ROOM_DESCRIPTION_MAX, ROOM_NAME_MAX


class RoomForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=ROOM_NAME_MAX)])
    description = TextAreaField(_l("Description"), validators=[Length(max=ROOM_DESCRIPTION_MAX)])
    tags = StringField(_l("Tags"), description=_l("Separate tags with commas."))
