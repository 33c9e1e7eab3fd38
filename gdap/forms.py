"""The partner's forms for admin relationships and security groups (R31, R33).

The rules are the services' (``clean_name``, ``clean_duration``, ``clean_roles``,
``ensure_auto_extend_allowed``): the forms call them so that a refused value
gets its message next to its field, and the services refuse it again.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from customers.forms import UserChoiceField
from customers.role_catalogue import CATALOGUE, CHOICES, in_catalogue_order
from gdap import selectors, services
from gdap.models import DURATION_DEFAULT, DURATION_MAX, DURATION_MIN, NAME_MAX
from invitations.forms import INVALID_ADDRESS_MESSAGE, email_language_choices


def _checked(check, value):
    try:
        return check(value)
    except DomainError as exc:
        raise forms.ValidationError(exc.message, code=exc.code) from None


class RoleField(forms.MultipleChoiceField):
    """Role codes from the catalogue; an unknown (forged) code or none at all is
    refused with the service's own message."""

    widget = forms.CheckboxSelectMultiple

    def validate(self, value):
        _checked(services.clean_roles, value)

    def clean(self, value):
        value = self.to_python(value)
        self.validate(value)
        return services.clean_roles(value)


class RoleChoicesMixin:
    def role_options(self, field_name="roles"):
        """(checkbox, catalogue role) pairs: each role with what it allows."""
        bound = self[field_name]
        roles = {role.code: role for role in CATALOGUE}
        return [(box, roles[box.data["value"]]) for box in bound.subwidgets]


class RelationshipRequestForm(RoleChoicesMixin, forms.Form):
    """R31: Request admin relationship."""

    name = forms.CharField(
        label=_("Name"),
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"maxlength": NAME_MAX, "autocomplete": "off"}),
        help_text=_("Up to 50 characters; your customer sees it."),
    )
    customer = forms.ChoiceField(label=_("Customer"), required=False)
    duration_days = forms.CharField(
        label=_("Duration in days"),
        initial=DURATION_DEFAULT,
        required=False,
        widget=forms.NumberInput(
            attrs={"min": DURATION_MIN, "max": DURATION_MAX, "step": 1}
        ),
        help_text=_("From 1 to 730 days (two years)."),
    )
    roles = RoleField(label=_("Roles"), choices=CHOICES, required=False)
    auto_extend = forms.BooleanField(
        label=_("Auto-extend"),
        required=False,
        help_text=_(
            "Adds 180 days at each end until someone turns it off. Not available "
            "with Global Administrator."
        ),
    )
    recipient_email = forms.EmailField(
        label=_("Customer email address (optional)"),
        required=False,
        max_length=254,
        help_text=_("It goes in the To: line of the email draft."),
        error_messages={"invalid": INVALID_ADDRESS_MESSAGE},
    )
    email_language = forms.ChoiceField(
        label=_("Email language"), choices=lambda: email_language_choices()
    )

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner = partner
        self.fields["customer"].choices = [
            ("", _("None: the organisation that approves it"))
        ] + [
            (str(pk), name)
            for pk, name in selectors.partner_customer_choices(partner=partner)
        ]
        self.fields["customer"].error_messages["invalid_choice"] = _(
            "Choose one of your customers, or none."
        )
        self.fields["email_language"].error_messages["invalid_choice"] = _(
            "Choose a language from the list."
        )

    def clean_name(self):
        name = _checked(services.clean_name, self.cleaned_data.get("name"))
        if selectors.admin_relationship_name_taken(partner=self.partner, name=name):
            raise forms.ValidationError(
                _(
                    "You already have an admin relationship with this name. "
                    "Choose another."
                ),
                code="name_taken",
            )
        return name

    def clean_duration_days(self):
        return _checked(services.clean_duration, self.cleaned_data.get("duration_days"))

    def clean_customer(self):
        value = self.cleaned_data.get("customer")
        return int(value) if value else None

    def clean(self):
        data = super().clean()
        if data.get("auto_extend") and "roles" in data:
            try:
                services.ensure_auto_extend_allowed(
                    auto_extend=True, roles=data["roles"]
                )
            except DomainError as exc:
                self.add_error("auto_extend", exc.message)
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "customer_id": data["customer"],
            "duration_days": data["duration_days"],
            "roles": data["roles"],
            "auto_extend": data["auto_extend"],
            "recipient_email": data["recipient_email"],
            "email_language": data["email_language"],
        }


# Where a service's refusal of the request goes (the field it is about).
REQUEST_ERROR_FIELDS = {
    "name_required": "name",
    "name_too_long": "name",
    "name_taken": "name",
    "duration_range": "duration_days",
    "unknown_role": "roles",
    "roles_required": "roles",
    "auto_extend_with_global_admin": "auto_extend",
    "unknown_customer": "customer",
}


class AssignmentForm(RoleChoicesMixin, forms.Form):
    """R33: a security group and some of the relationship's roles."""

    group = forms.ChoiceField(label=_("Security group"))
    roles = forms.MultipleChoiceField(
        label=_("Roles"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, relationship, group_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.relationship = relationship
        self.fields["group"].choices = [("", _("Choose a security group"))] + [
            (str(pk), name) for pk, name in group_choices
        ]
        self.fields["group"].error_messages.update(
            required=_("Choose one of your security groups."),
            invalid_choice=_("Choose one of your security groups."),
        )
        codes = [r.role for r in relationship.roles.all()]
        self.fields["roles"].choices = [
            (role.code, role.label) for role in in_catalogue_order(codes)
        ]
        self.fields["roles"].error_messages.update(
            required=_("Choose at least one role."),
            invalid_choice=_("Choose roles of this admin relationship."),
        )

    def clean_group(self):
        return int(self.cleaned_data["group"])


class TerminateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SecurityGroupForm(forms.Form):
    """R33: a group's name and members (the partner's active users)."""

    name = forms.CharField(
        label=_("Name"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": NAME_MAX, "autocomplete": "off"}),
    )
    members = UserChoiceField(
        label=_("Members"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, partner, group=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner = partner
        self.group = group
        self.fields["members"].queryset = selectors.partner_people(partner=partner)
        self.fields["members"].error_messages["invalid_choice"] = _(
            "Choose people of your organisation."
        )

    def clean_name(self):
        name = _checked(services.clean_name, self.cleaned_data.get("name"))
        if selectors.security_group_name_taken(
            partner=self.partner,
            name=name,
            exclude_id=self.group.pk if self.group else None,
        ):
            raise forms.ValidationError(
                _("You already have a security group with this name. Choose another."),
                code="name_taken",
            )
        return name

    def member_ids(self) -> list[int]:
        return [user.pk for user in self.cleaned_data["members"]]
