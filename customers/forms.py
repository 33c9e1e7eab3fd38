from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.converters import is_id
from customers.models import ServiceRequest


class ServiceRequestForm(forms.ModelForm):
    class Meta:
        model = ServiceRequest
        fields = ["title", "description", "severity"]
        labels = {
            "title": _("Title"),
            "description": _("Description"),
            "severity": _("Severity"),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}
        error_messages = {
            "title": {"required": _("Enter a title.")},
            "description": {"required": _("Describe what the customer needs.")},
        }


class UserChoiceField(forms.ModelMultipleChoiceField):
    def clean(self, value):
        # An id that cannot be a row (too long for the column) is an invalid
        # choice, not a database error (R20).
        for pk in value or []:
            if not is_id(pk):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super().clean(value)

    def label_from_instance(self, obj):
        name = obj.get_full_name()
        return f"{name} ({obj.email})" if name else obj.email


class SupportContactsForm(forms.Form):
    contacts = UserChoiceField(
        label=_("Support contacts"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    primary = forms.ChoiceField(label=_("Primary contact"), required=False)

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        users = (
            get_user_model()
            .objects.filter(partner_membership__partner=partner, is_active=True)
            .order_by("first_name", "email")
        )
        self.fields["contacts"].queryset = users
        self.fields["primary"].choices = [("", _("No primary contact"))] + [
            (str(u.pk), u.get_full_name() or u.email) for u in users
        ]

    def clean(self):
        data = super().clean()
        primary = data.get("primary")
        contacts = data.get("contacts") or []
        if primary and int(primary) not in {u.pk for u in contacts}:
            self.add_error(
                "primary", _("The primary contact must be one of the support contacts.")
            )
        return data


class EndRelationshipForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ServiceRequestNoteForm(forms.Form):
    """A partner user's note on a service request (R44)."""

    body = forms.CharField(
        label=_("Your note"),
        max_length=5000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Support engineers and the customer's administrators see it."),
        error_messages={"required": _("Write a note.")},
    )


class ServiceRequestFilterForm(forms.Form):
    """The filters of a service-request list (R44). Read from the query string: a
    value that is not one of the choices is ignored, never an error page."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All"))] + ServiceRequest.Status.choices,
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", _("All"))] + ServiceRequest.Severity.choices,
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    customer = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data, *, search_label=None):
        super().__init__(data)
        if search_label is not None:
            self.fields["q"].label = search_label

    def value(self, name: str):
        """The cleaned value of one filter, or its empty value when invalid."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        value = self.cleaned_data.get(name, "")
        if name == "customer":
            return int(value) if is_id(value) else None
        return value
