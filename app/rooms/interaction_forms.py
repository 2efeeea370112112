"""Forms of the interaction pages.

The forms only carry the fields. ``interaction_validation`` checks them, so that
every limit and message lives in one place.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, HiddenField, SelectMultipleField, StringField, TextAreaField

from app.rooms.interaction_validation import OPTIONS_MAX


class InteractionForm(FlaskForm):
    kind = HiddenField()
    title = StringField(_l("Title"))
    body = TextAreaField(_l("Text"))
    # One field per option slot; empty slots at the end are unused.
    options = FieldList(StringField(_l("Option")), min_entries=OPTIONS_MAX)
    # The 0-based indexes of a quiz's correct options, sent by one checkbox per slot.
    correct = SelectMultipleField(_l("Correct"), choices=[], validate_choice=False)
    # The fingerprint of the stored content that an edit form was opened with.
    original = HiddenField()


class ScheduleForm(FlaskForm):
    # An ISO 8601 date and time, such as the value of a datetime-local input, read as UTC.
    scheduled_at = StringField(_l("Publish at (UTC)"))


class AnswerForm(FlaskForm):
    # 0-based option indexes: one for a poll, one or more for a quiz.
    choice = SelectMultipleField(_l("Your answer"), choices=[], validate_choice=False)
