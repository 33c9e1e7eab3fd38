"""R38: the form of a new API token (the service checks the same again)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.api_tokens import MAX_LIFETIME_DAYS
from partners.models import ApiToken


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What uses it, e.g. “Provisioning script”."),
        error_messages={"required": _("Give the token a name.")},
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=MAX_LIFETIME_DAYS,
        initial=90,
        help_text=_("1 to 365 days."),
        error_messages={
            "required": _("Enter a number of days from 1 to 365."),
            "invalid": _("Enter a number of days from 1 to 365."),
            "min_value": _("Enter a number of days from 1 to 365."),
            "max_value": _("A token expires after 1 to 365 days at most."),
        },
    )
    scope = forms.ChoiceField(
        label=_("Access"),
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose read only or read and write.")},
    )
