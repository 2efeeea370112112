"""Forms of the LMS administration page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired, Length


class CcSwitchForm(FlaskForm):
    # The state to set, not a toggle, so that a repeated submission changes nothing.
    enabled = HiddenField(validators=[DataRequired(), AnyOf(["on", "off"], message=_l("Choose on or off."))])


class DeploymentDecisionForm(FlaskForm):
    decision = HiddenField(
        validators=[DataRequired(), AnyOf(["approve", "reject"], message=_l("Choose approve or reject."))]
    )


class EmbeddingForm(FlaskForm):
    """The origins that may frame the tool, beyond the platform's own, and the platform storage origin."""

    frame_origins = StringField(
        _l("Other origins that may show the tool in a frame"),
        validators=[Length(max=2000)],
        description=_l(
            "Separated by spaces, such as https://school.instructure.com for hosted Canvas. "
            "The issuer's and the authentication URL's origins are always allowed."
        ),
    )
    storage_target_origin = StringField(
        _l("Platform storage origin"),
        validators=[Length(max=500)],
        description=_l("Leave empty unless the LMS responds to platform storage messages from another origin than its authentication URL."),
    )
