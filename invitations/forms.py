from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from core.countries import country_name
from invitations.models import Invitation
from partners.models import Cloud

DAP_LABEL = _(
    "Include delegated administration privileges for Azure Active Directory and "
    "Office 365"
)


class InvitationRequestForm(forms.Form):
    """R2/R3: the request form. A sovereign-cloud partner cannot leave DAP out."""

    include_dap = forms.BooleanField(label=DAP_LABEL, required=False, initial=True)
    recipient_email = forms.EmailField(
        label=_("Customer email address (optional)"),
        required=False,
        max_length=254,
        help_text=_("It goes in the To: line of the email draft."),
        error_messages={"invalid": _("Enter a valid email address.")},
    )
    email_language = forms.ChoiceField(
        label=_("Email language"), choices=Invitation.Language.choices
    )

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner = partner
        self.dap_required = Cloud.requires_dap(partner.cloud)
        language = (get_language() or "en")[:2]
        self.fields["email_language"].initial = (
            language if language in Invitation.Language.values else "en"
        )
        if self.dap_required:
            # Shown ticked and disabled; the template adds a hidden input that
            # carries the value, so a POST that leaves it out is a forged one.
            self.fields["include_dap"].widget.attrs.update(
                {"disabled": True, "aria-describedby": "dap-required-reason"}
            )

    def clean_include_dap(self):
        value = self.cleaned_data.get("include_dap")
        if self.dap_required and not value:
            raise forms.ValidationError(
                Cloud.dap_required_message(self.partner.cloud), code="dap_required"
            )
        return value


class DraftForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=300,
        error_messages={"required": _("Enter a subject.")},
    )
    body = forms.CharField(
        label=_("Email text"),
        widget=forms.Textarea(attrs={"rows": 16}),
        strip=False,
        error_messages={"required": _("Enter the email text.")},
    )


class ResponseForm(forms.Form):
    """Accept or decline: the invitation acted on must be the one shown (another
    tab may have opened another link since), and a decline must be confirmed."""

    invitation = forms.CharField()
    confirmed = forms.CharField(required=False)

    def __init__(self, *args, invitation, confirmation_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.shown = invitation
        self.confirmation_required = confirmation_required

    def clean(self):
        data = super().clean()
        if data.get("invitation") != str(self.shown.pk):
            raise forms.ValidationError(
                _(
                    "You opened another invitation link in the meantime. Review "
                    "this request, then choose again."
                ),
                code="not_shown",
            )
        if self.confirmation_required and data.get("confirmed") != "yes":
            raise forms.ValidationError("", code="unconfirmed")
        return data

    def needs_confirmation(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, "unconfirmed")

    def refusal(self) -> str:
        return " ".join(self.non_field_errors()) or " ".join(
            str(e) for errors in self.errors.values() for e in errors
        )


class SignUpForm(forms.Form):
    """Create an account for your organisation (the customer and its first admin)."""

    organisation = forms.CharField(label=_("Organisation name"), max_length=200)
    domain = forms.RegexField(
        label=_("Primary domain"),
        max_length=253,
        regex=r"^(?=.{1,253}$)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$",
        error_messages={"invalid": _("Enter a domain such as contoso.example.")},
        help_text=_("For example contoso.example."),
    )
    country = forms.ChoiceField(label=_("Country/region"))
    # 150: the address is also the account's username.
    email = forms.EmailField(label=_("Administrator's email address"), max_length=150)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, partner=None, **kwargs):
        # Shown on the same page as the sign-in form, which also has "email" and
        # "password": distinct ids keep each label tied to its own control.
        kwargs.setdefault("auto_id", "signup_%s")
        super().__init__(*args, **kwargs)
        self.partner = partner
        self.fields["country"].choices = [("", _("Choose…"))] + list(countries)
        if partner is not None:
            self.fields["country"].initial = partner.country

    def clean_country(self):
        # R4 before anything is created: an organisation this partner cannot
        # serve would be left behind with no partner.
        country = self.cleaned_data["country"]
        if self.partner is not None and country != self.partner.country:
            raise forms.ValidationError(
                _(
                    "%(partner)s can have reseller relationships only with "
                    "organisations in %(partner_country)s, not in %(country)s."
                ),
                code="country_mismatch",
                params={
                    "partner": self.partner.name,
                    "partner_country": country_name(self.partner.country),
                    "country": country_name(country),
                },
            )
        return country

    def clean_organisation(self):
        name = self.cleaned_data["organisation"]
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
            raise forms.ValidationError(
                _(
                    "The organisation name cannot contain line breaks or control "
                    "characters."
                ),
                code="control_characters",
            )
        return name

    def clean_domain(self):
        return self.cleaned_data["domain"].lower()

    def clean_password(self):
        from django.contrib.auth.password_validation import validate_password

        password = self.cleaned_data["password"]
        validate_password(password)
        return password
