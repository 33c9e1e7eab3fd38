"""R40: the form of a webhook endpoint (new and edit)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from api.webhooks import EVENT_LABELS, EVENT_NAMES, TEST_EVENT


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        help_text=_("An HTTPS address that accepts POST requests."),
        widget=forms.URLInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("Description"), max_length=200, required=False
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(name, name) for name in EVENT_NAMES if name != TEST_EVENT],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [
            (name, f"{EVENT_LABELS[name]} ({name})")
            for name in EVENT_NAMES
            if name != TEST_EVENT
        ]
