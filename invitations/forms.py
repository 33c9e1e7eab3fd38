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

from core.addresses import fold_email, is_acceptable_address
from core.countries import country_name
from invitations.models import Invitation
from partners.models import Cloud

INVALID_ADDRESS_MESSAGE = _(
    "Enter a valid email address. The part before the @ can contain only "
    "unaccented letters (a–z), digits and punctuation."
)
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
    """Create an account for your organisation (step 1 of 2, DESIGN 8.2).

    Every field is checked in one pass (the password rules, R4's country, the
    address at the organisation's domain), so all the errors show at once.
    Whether the domain or the address is already known is not said here: the
    emailed code comes first (invitations.sign_up).
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
    first_name = forms.CharField(label=_("Administrator's first name"), max_length=150)
    last_name = forms.CharField(label=_("Administrator's last name"), max_length=150)
    # 150: the address is also the account's username.
    email = forms.EmailField(
        label=_("Administrator's email address"),
        max_length=150,
        help_text=_(
            "An address at your organisation's domain: we email a code to it "
            "before the account is created."
        ),
    )
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
        return self.cleaned_data["domain"].lower()

    def _clean_name(self, name):
        value = self.cleaned_data[name].strip()
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise forms.ValidationError(
                _("A name cannot contain line breaks or control characters."),
                code="control_characters",
            )
        return value

    def clean_first_name(self):
        return self._clean_name("first_name")

    def clean_last_name(self):
        return self._clean_name("last_name")

    def clean_email(self):
        # R29: folded as sign-in folds it, and only an ASCII local part.
        email = fold_email(self.cleaned_data["email"])
        if not is_acceptable_address(email):
            raise forms.ValidationError(INVALID_ADDRESS_MESSAGE, code="invalid")
        return email

    def clean(self):
        data = super().clean()
        email, domain = data.get("email"), data.get("domain")
        if email and domain and email.rpartition("@")[2] != domain:
            # 8.2: the code sent to this address proves the domain is theirs.
            self.add_error(
                "email",
                forms.ValidationError(
                    _(
                        "Use an address at %(domain)s: the code we send to it "
                        "shows that the domain is your organisation's."
                    ),
                    code="outside_domain",
                    params={"domain": domain},
                ),
            )
        password = data.get("password")
        if password:
            # With the address and the names, so a password made of them is
            # refused (UserAttributeSimilarityValidator) in the same pass.
            email = email or self.data.get("email", "")
            user = get_user_model()(
                username=email,
                email=email,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
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


class SignUpCodeForm(forms.Form):
    """Step 2 of the sign-up: the 6-digit code from the email (spaces allowed)."""

    code = forms.CharField(
        label=_("Verification code"),
        max_length=20,
        help_text=_("The 6 digits from the email we sent."),
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autofocus": True,
            }
        ),
        error_messages={
            "required": _("Enter the 6-digit code from the email."),
            "max_length": _("Enter the 6-digit code from the email."),
        },
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split()).replace("-", "")
        if len(code) != 6 or not code.isascii() or not code.isdigit():
            raise forms.ValidationError(
                _("Enter the 6-digit code from the email."), code="invalid"
            )
        return code
