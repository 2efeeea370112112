"""One-button forms of the LMS administration page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf, DataRequired


class CcSwitchForm(FlaskForm):
    # The state to set, not a toggle, so that a repeated submission changes nothing.
    enabled = HiddenField(validators=[DataRequired(), AnyOf(["on", "off"], message=_l("Choose on or off."))])


class DeploymentDecisionForm(FlaskForm):
    decision = HiddenField(
        validators=[DataRequired(), AnyOf(["approve", "reject"], message=_l("Choose approve or reject."))]
    )
