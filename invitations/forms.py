from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from core.countries import country_name
from customers.models import Customer
from invitations.models import Invitation
from partners.models import Cloud

DAP_LABEL = _(
    "Include delegated administration privileges for Azure Active Directory and "
    "Office 365"
)


def email_language_choices():
    """R19: an email can be written in each language of the portal (English,
    French, German), named as the model names them where it does."""
    labels = dict(Invitation.Language.choices)
    return [(code, labels.get(code, name)) for code, name in settings.LANGUAGES]


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
        label=_("Email language"), choices=lambda: email_language_choices()
    )

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner = partner
        self.dap_required = Cloud.requires_dap(partner.cloud)
        language = (get_language() or "en")[:2]
        codes = {code for code, _label in email_language_choices()}
        self.fields["email_language"].initial = language if language in codes else "en"
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
    # R22: where "Send email" sends it (not needed to save or copy the draft).
    recipient_email = forms.EmailField(
        label=_("Customer email address"),
        required=False,
        error_messages={"invalid": _("Enter a valid email address.")},
    )
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


class CountryChoiceField(forms.ChoiceField):
    """Offers only the countries in ``choices`` but knows every one, so another
    real country/region (a forged POST) gets R4's message naming both from
    ``SignUpForm.clean_country`` rather than "not one of the choices"."""

    def valid_value(self, value):
        return value in dict(countries)


class SignUpForm(forms.Form):
    """Create an account for your organisation (the customer and its first admin).

    Every field is checked in one pass (the password rules, a domain or address
    already taken, R4's country), so all the errors show at once.
    """

    organisation = forms.CharField(label=_("Organisation name"), max_length=200)
    domain = forms.RegexField(
        label=_("Primary domain"),
        max_length=253,
        regex=r"^(?=.{1,253}$)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$",
        error_messages={"invalid": _("Enter a domain such as contoso.example.")},
        help_text=_("For example contoso.example."),
    )
    country = CountryChoiceField(label=_("Country/region"))
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
        # Shown before typing (the page lists them; the text ties them to the box).
        self.password_rules = password_validators_help_texts()
        self.fields["password"].help_text = " ".join(self.password_rules)
        country = self.fields["country"]
        if partner is None:
            country.choices = [("", _("Choose…"))] + list(countries)
        else:
            # R4: only the partner's country/region can be accepted; offering the
            # others would only lead to a refusal.
            country.choices = [(partner.country, country_name(partner.country))]
            country.initial = partner.country
            country.help_text = _(
                "%(partner)s can have reseller relationships only with "
                "organisations in %(partner_country)s."
            ) % {
                "partner": partner.name,
                "partner_country": country_name(partner.country),
            }

    def clean_country(self):
        # R4 before anything is created: an organisation this partner cannot
        # serve would be left behind with no partner. (The list offers only the
        # partner's country/region: this refuses a forged POST.)
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
        domain = self.cleaned_data["domain"].lower()
        if Customer.objects.filter(domain__iexact=domain).exists():
            raise forms.ValidationError(
                _("An organisation with the domain %(domain)s already exists."),
                code="domain_taken",
                params={"domain": domain},
            )
        return domain

    def clean_email(self):
        email = self.cleaned_data["email"]
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this email address already exists."),
                code="email_taken",
            )
        return email

    def clean(self):
        data = super().clean()
        password = data.get("password")
        if password:
            # With the address and the domain, so a password made of them is refused
            # (UserAttributeSimilarityValidator) in the same pass as the rest.
            email = data.get("email") or self.data.get("email", "")
            user = get_user_model()(username=email, email=email)
            try:
                validate_password(password, user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data

    def first_error(self) -> str:
        """The name of the first field (in page order) with an error, or ""."""
        return next((name for name in self.fields if name in self.errors), "")

    def focus_first_error(self) -> None:
        """Put the cursor in the first invalid field (works without JavaScript)."""
        name = self.first_error()
        if name:
            self.fields[name].widget.attrs["autofocus"] = True
