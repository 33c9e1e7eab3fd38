"""R28 pages: Two-step verification (set up, recovery codes, remove, passkeys)
and the sign-in's second step. Thin: the writes are in two_step_services."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.templatetags.otp_webauthn import get_configuration
from django_otp_webauthn.views import (
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from core import throttle
from core.security_log import security_event
from partners import two_step_services as services
from partners.two_step import (
    VERIFY,
    confirmed_totp_device,
    passkey_list,
    recovery_device,
    two_step_due,
    two_step_required,
    with_next,
)
from partners.two_step_forms import CodeForm, PasskeyNameForm

# Session keys: the secret being set up (not yet a device), and the recovery
# codes to show once after they were made.
PENDING_SECRET = "_two_step_pending_secret"
NEW_CODES = "_two_step_new_codes"

WRONG_CODE = gettext_lazy(
    "This code is not right. Enter the current code from your authenticator "
    "app, or one of your recovery codes."
)
WRONG_APP_CODE = gettext_lazy(
    "This code is not right. Enter the 6-digit code your authenticator app shows now."
)
THROTTLED = gettext_lazy(
    "Too many wrong codes. Wait %(minutes)s minutes, then try again."
)


def _safe_next(request, default: str = "") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return candidate
    return default


def _throttled_message() -> str:
    return THROTTLED % {"minutes": throttle.minutes_left()}


def webauthn_configuration(request) -> dict:
    """The passkey scripts' settings (read from a JSON script element): the
    library's, with the ceremonies' completion at our views (they log)."""
    return get_configuration(
        request,
        {
            "completeRegistrationUrl": reverse("partners:two_step_passkey_complete"),
            "completeAuthenticationUrl": reverse("login_verify_passkey"),
        },
    )


# --- Two-step verification page ----------------------------------------------------


def _pending_secret(request) -> str:
    secret = request.session.get(PENDING_SECRET)
    if not secret:
        secret = request.session[PENDING_SECRET] = services.new_totp_secret()
    return secret


def _qr_svg(request, secret: str) -> str:
    device = TOTPDevice(user=request.user, key=services.secret_to_hex(secret))
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, title=_("QR code for your authenticator app")
    )


def _page(request, *, status=200, **forms):
    user = request.user
    totp = confirmed_totp_device(user)
    recovery = recovery_device(user)
    passkeys = list(passkey_list(user))
    context = {
        "required": two_step_required(user),
        "totp": totp,
        "recovery_left": recovery.token_set.count() if recovery else 0,
        "passkeys": passkeys,
        "new_codes": request.session.pop(NEW_CODES, None),
        "next": _safe_next(request),
        "confirm_form": forms.get("confirm_form") or CodeForm(prefix="confirm"),
        "renew_form": forms.get("renew_form")
        or CodeForm(
            prefix="renew",
            help_text=_("The 6-digit code your authenticator app shows now."),
        ),
        "remove_form": forms.get("remove_form")
        or CodeForm(
            prefix="remove",
            help_text=_("A current code from your app, or one of your recovery codes."),
        ),
        "name_form": PasskeyNameForm(prefix="passkey"),
        "webauthn_config": webauthn_configuration(request),
    }
    if totp is None:
        secret = _pending_secret(request)
        context["secret"] = secret
        context["secret_groups"] = " ".join(
            secret[i : i + 4] for i in range(0, len(secret), 4)
        )
        context["qr_svg"] = _qr_svg(request, secret)
    return render(request, "partners/two_step.html", context, status=status)


def _back(request):
    return redirect(with_next(reverse("partners:two_step"), _safe_next(request)))


@never_cache
@login_required
def two_step(request):
    """R28: the person's second factors, and setting one up."""
    return _page(request)


@require_POST
@sensitive_post_parameters("confirm-code")
@login_required
def two_step_confirm(request):
    """Turn on the authenticator app whose secret the page showed."""
    form = CodeForm(request.POST, prefix="confirm")
    secret = request.session.get(PENDING_SECRET)
    if not form.is_valid() or not secret:
        return _page(request, confirm_form=form, status=400)
    try:
        codes = services.authenticator_confirm(
            request=request, secret=secret, code=form.cleaned_data["code"]
        )
    except services.CodeThrottled:
        form.add_error(None, _throttled_message())
        return _page(request, confirm_form=form, status=400)
    if codes is None:
        form.add_error("code", WRONG_APP_CODE)
        return _page(request, confirm_form=form, status=400)
    request.session.pop(PENDING_SECRET, None)
    request.session[NEW_CODES] = codes
    messages.success(request, _("Two-step verification is on."))
    return _back(request)


@require_POST
@sensitive_post_parameters("renew-code")
@login_required
def two_step_codes(request):
    """New recovery codes, given a current authenticator code."""
    form = CodeForm(request.POST, prefix="renew")
    if not form.is_valid():
        return _page(request, renew_form=form, status=400)
    try:
        codes = services.recovery_codes_renew(
            request=request, code=form.cleaned_data["code"]
        )
    except services.CodeThrottled:
        form.add_error(None, _throttled_message())
        return _page(request, renew_form=form, status=400)
    if codes is None:
        form.add_error("code", WRONG_APP_CODE)
        return _page(request, renew_form=form, status=400)
    request.session[NEW_CODES] = codes
    messages.success(
        request, _("New recovery codes made. The old ones no longer work.")
    )
    return _back(request)


@require_POST
@sensitive_post_parameters("remove-code")
@login_required
def two_step_remove(request):
    """Turn off the authenticator app, given a current or a recovery code."""
    form = CodeForm(request.POST, prefix="remove")
    if not form.is_valid():
        return _page(request, remove_form=form, status=400)
    try:
        removed = services.authenticator_remove(
            request=request, code=form.cleaned_data["code"]
        )
    except services.CodeThrottled:
        form.add_error(None, _throttled_message())
        return _page(request, remove_form=form, status=400)
    if not removed:
        form.add_error("code", WRONG_CODE)
        return _page(request, remove_form=form, status=400)
    messages.success(request, _("The authenticator app is removed."))
    return _back(request)


@require_POST
@login_required
def two_step_passkey_name(request):
    """Name the passkey just registered (the page's script posts this form)."""
    form = PasskeyNameForm(request.POST, prefix="passkey")
    if not form.is_valid():
        messages.error(request, _("The passkey could not be named."))
        return _back(request)
    try:
        services.passkey_name(
            request=request,
            passkey_id=form.cleaned_data["passkey"],
            name=form.cleaned_data["name"] or _("Passkey"),
        )
    except WebAuthnCredential.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("Passkey added."))
    return _back(request)


@require_POST
@login_required
def two_step_passkey_remove(request, passkey_id):
    """R17: another person's passkey id is a 404 and changes nothing."""
    try:
        services.passkey_remove(request=request, passkey_id=passkey_id)
    except WebAuthnCredential.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("Passkey removed."))
    return _back(request)


class PasskeyRegistrationCompleteView(CompleteCredentialRegistrationView):
    """The library's ceremony, logging the added second factor."""

    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        services.passkey_added(request=self.request, passkey=None)
        return response


# --- The sign-in's second step -----------------------------------------------------


@never_cache
@sensitive_post_parameters("code")
def login_verify(request):
    """After the password: a code (authenticator or recovery) or a passkey, then
    the page first asked for."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    next_url = _safe_next(request, resolve_url(settings.LOGIN_REDIRECT_URL))
    if two_step_due(request.user) != VERIFY:
        return redirect(next_url)
    form = CodeForm(
        request.POST or None,
        help_text=_(
            "The 6-digit code your authenticator app shows, or one of your "
            "recovery codes."
        ),
    )
    if request.method == "POST" and form.is_valid():
        try:
            device = services.second_step_pass(
                request=request, code=form.cleaned_data["code"]
            )
        except services.CodeThrottled:
            form.add_error(None, _throttled_message())
        else:
            if device is not None:
                return redirect(next_url)
            form.add_error("code", WRONG_CODE)
    has_passkey = passkey_list(request.user).exists()
    return render(
        request,
        "registration/login_verify.html",
        {
            "form": form,
            "next": next_url,
            "has_passkey": has_passkey,
            "webauthn_config": webauthn_configuration(request) if has_passkey else None,
        },
        status=400 if form.errors else 200,
    )


class PasskeyVerifyCompleteView(CompleteCredentialAuthenticationView):
    """The library's ceremony (a passkey as the second step), logged."""

    def handle_exception(self, exc):
        security_event(
            "second_step_failed",
            request=self.request,
            email=getattr(self.request.user, "email", ""),
            step="sign_in",
            method="passkey",
        )
        return super().handle_exception(exc)

    def complete_auth(self, device):
        super().complete_auth(device)
        security_event(
            "second_step_passed",
            request=self.request,
            email=self.request.user.email,
            method="passkey",
        )
