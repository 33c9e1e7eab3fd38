"""Users (R26), My account (R30) and passwords (R27): thin views over
partners.services and partners.selectors."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.addresses import fold_email
from core.client_ip import client_ip
from core.exceptions import DomainError
from core.security_log import security_event
from core.sessions import describe_user_agent, sessions_end_for_user, sessions_of
from core.throttle import Bucket, attempt, minutes_left
from partners import account_forms, passwords
from partners.models import Role
from partners.permissions import Action, membership_of, partner_required
from partners.selectors import partner_people, partner_person, person_status
from partners.services import (
    account_update,
    partner_set_require_two_step,
    partner_user_add,
    partner_user_remove,
    partner_user_set_roles,
    password_change,
    sessions_sign_out_others,
)

# Reset emails one address may be sent within LOGIN_LOCKOUT_SECONDS.
RESET_EMAILS_PER_ADDRESS = 3

STATUS_LABELS = {
    "active": gettext_lazy("Active"),
    "invited": gettext_lazy("Password not set yet"),
    "removed": gettext_lazy("Removed"),
}


def _is_global_admin(request) -> bool:
    return Role.GLOBAL_ADMIN in request.membership.role_set


def _users_url():
    return reverse("partners:users")


# --- Users (R26) ---------------------------------------------------------------------


@partner_required(Action.MANAGE_USERS)
def users(request):
    """The partner's people: roles, status, last sign-in (a fixed number of
    queries however many there are)."""
    rows = [
        {
            "membership": membership,
            "user": membership.user,
            "roles": membership.role_labels(),
            "status": person_status(membership.user),
            "status_label": STATUS_LABELS[person_status(membership.user)],
            "is_me": membership.user_id == request.user.pk,
        }
        for membership in partner_people(partner=request.partner)
    ]
    policy = account_forms.TwoStepPolicyForm(
        initial={"require_two_step": request.partner.require_two_step}
    )
    return render(
        request,
        "partners/users.html",
        {
            "rows": rows,
            "policy_form": policy,
            "is_global_admin": _is_global_admin(request),
        },
    )


@partner_required(Action.MANAGE_USERS)
def user_add(request):
    form = account_forms.UserAddForm(
        request.POST or None, allow_global_admin=_is_global_admin(request)
    )
    context = {
        "form": form,
        "days": max(1, round(settings.SET_PASSWORD_TIMEOUT / 86400)),
    }
    if request.method == "POST":
        if form.is_valid():
            try:
                user = partner_user_add(
                    partner=request.partner,
                    actor=request.user,
                    request=request,
                    **form.cleaned_data,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _(
                        "%(email)s was added. An email with a link to set a "
                        "password is on its way."
                    )
                    % {"email": user.email},
                )
                return redirect(_users_url())
        return render(request, "partners/users_add.html", context, status=400)
    return render(request, "partners/users_add.html", context)


@partner_required(Action.MANAGE_USERS)
def user_roles(request, user_id):
    membership = partner_person(partner=request.partner, user_id=user_id)
    form = account_forms.UserRolesForm(
        request.POST or None,
        allow_global_admin=_is_global_admin(request),
        initial={"roles": sorted(membership.role_set)},
    )
    context = {"form": form, "person": membership.user, "membership": membership}
    if request.method == "POST":
        if form.is_valid():
            try:
                partner_user_set_roles(
                    partner=request.partner,
                    actor=request.user,
                    user_id=membership.user_id,
                    roles=form.cleaned_data["roles"],
                    request=request,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("The roles of %(email)s were saved.")
                    % {"email": membership.user.email},
                )
                return redirect(_users_url())
        return render(request, "partners/users_roles.html", context, status=400)
    return render(request, "partners/users_roles.html", context)


@partner_required(Action.MANAGE_USERS)
def user_remove(request, user_id):
    """A confirmation page; the POST removes the person at once."""
    membership = partner_person(partner=request.partner, user_id=user_id)
    person = membership.user
    context = {"person": person, "is_me": person.pk == request.user.pk, "error": ""}
    if request.method == "POST":
        try:
            partner_user_remove(
                partner=request.partner,
                actor=request.user,
                user_id=person.pk,
                request=request,
            )
        except DomainError as error:
            context["error"] = error.message
            return render(request, "partners/users_remove.html", context, status=400)
        messages.success(
            request,
            _("%(email)s was removed and signed out everywhere.")
            % {"email": person.email},
        )
        return redirect(_users_url())
    return render(request, "partners/users_remove.html", context)


@require_POST
@partner_required(Action.MANAGE_USERS)
def users_two_step(request):
    """R28: "Require two-step verification for everyone" (Global admin only)."""
    if not _is_global_admin(request):
        raise PermissionDenied(
            format_lazy(
                gettext_lazy("This page needs one of these partner roles: {roles}."),
                roles=Role.GLOBAL_ADMIN.label,
            )
        )
    form = account_forms.TwoStepPolicyForm(request.POST)
    form.is_valid()  # a checkbox: always valid, absent means off
    required = bool(form.cleaned_data.get("require_two_step"))
    partner_set_require_two_step(
        partner=request.partner, actor=request.user, required=required, request=request
    )
    if required:
        messages.success(
            request, _("Two-step verification is now required for everyone.")
        )
    else:
        messages.success(
            request,
            _(
                "Two-step verification is now required only for the roles "
                "that always need it."
            ),
        )
    return redirect(_users_url())


# --- My account (R30) ----------------------------------------------------------------


def _two_step_url() -> str:
    try:
        return reverse("partners:two_step")
    except Exception:  # the page of R28 is built separately  # noqa: BLE001
        return "/account/two-step/"


def _account_context(request, form):
    current = request.session.session_key
    sessions = [
        {
            "record": record,
            "browser": describe_user_agent(record.user_agent),
            "is_current": record.session_key == current,
        }
        for record in sessions_of(user=request.user)
    ]
    return {
        "form": form,
        "sessions": sessions,
        "others": sum(1 for row in sessions if not row["is_current"]),
        "two_step_url": _two_step_url(),
    }


def _set_language_cookie(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@login_required
def account(request):
    """Name, language and time zone; links to the password and two-step pages;
    the active sessions with "Sign out other sessions"."""
    membership = membership_of(request.user)
    user = request.user
    initial = {"first_name": user.first_name, "last_name": user.last_name}
    if membership is not None:
        initial.update(
            language=membership.language or request.LANGUAGE_CODE,
            time_zone=membership.time_zone,
        )
    form = account_forms.AccountForm(
        request.POST or None, initial=initial, partner_user=membership is not None
    )
    if request.method == "POST":
        if not form.is_valid():
            return render(
                request,
                "partners/account.html",
                _account_context(request, form),
                status=400,
            )
        data = form.cleaned_data
        account_update(
            user=user,
            first_name=data["first_name"],
            last_name=data["last_name"],
            language=data.get("language"),
            time_zone=data.get("time_zone"),
        )
        messages.success(request, _("Your account was saved."))
        response = redirect("partners:account")
        if data.get("language"):
            _set_language_cookie(response, data["language"])
        return response
    return render(request, "partners/account.html", _account_context(request, form))


def _password_rules():
    return password_validators_help_texts()


class AccountPasswordView(auth_views.PasswordChangeView):
    """R27: current password required, Django's validators, rules shown first;
    the other sessions end, this one stays signed in."""

    form_class = account_forms.PasswordChangeForm
    template_name = "partners/account_password.html"
    success_url = reverse_lazy("partners:account")

    def get_context_data(self, **kwargs):
        return super().get_context_data(rules=_password_rules(), **kwargs)

    def form_valid(self, form):
        ended = password_change(
            request=self.request,
            user=self.request.user,
            new_password=form.cleaned_data["new_password1"],
        )
        if ended:
            messages.success(
                self.request,
                _("Your password was changed. Your other sessions were signed out."),
            )
        else:
            messages.success(self.request, _("Your password was changed."))
        return redirect(self.get_success_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


account_password = AccountPasswordView.as_view()


@require_POST
@login_required
def account_sessions_end(request):
    """R30: "Sign out other sessions"."""
    ended = sessions_sign_out_others(request=request, user=request.user)
    messages.success(
        request,
        _("Your other sessions were signed out.")
        if ended
        else _("You had no other sessions."),
    )
    return redirect("partners:account")


# --- Password reset and set-password (R27, R26) --------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    """The same answer whether or not the address exists; the email goes
    through the queue (account_forms.PasswordResetForm.save)."""

    form_class = account_forms.PasswordResetForm
    template_name = "registration/password_reset_form.html"
    success_url = reverse_lazy("password_reset_done")
    token_generator = passwords.password_reset_tokens

    def form_valid(self, form):
        # R29's scheme: per client address (a clear message: it reveals nothing
        # about the account) and per address (silently: the same page, fewer
        # emails), so nobody floods a person's mailbox through the portal.
        address = fold_email(form.cleaned_data["email"])
        over = attempt(
            Bucket(
                "password_reset_ip",
                (client_ip(self.request),),
                settings.LOGIN_IP_FAILURE_LIMIT,
            ),
            Bucket("password_reset_address", (address,), RESET_EMAILS_PER_ADDRESS),
        )
        if over is not None and over.name == "password_reset_ip":
            form.add_error(
                None,
                _(
                    "Too many password reset requests from your network. Wait "
                    "%(minutes)s minutes, then try again."
                )
                % {"minutes": minutes_left()},
            )
            security_event("password_reset_throttled", request=self.request)
            return self.form_invalid(form)
        if over is None:
            form.save()
        security_event("password_reset_requested", request=self.request, email=address)
        return redirect(self.get_success_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"

    def get_context_data(self, **kwargs):
        minutes = max(1, round(settings.PASSWORD_RESET_TIMEOUT / 60))
        return super().get_context_data(minutes=minutes, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's confirm view (the token moves into the session, then a token-free
    URL); every session of the person ends when the password is set."""

    form_class = account_forms.SetPasswordForm
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")
    token_generator = passwords.password_reset_tokens
    event = "password_reset"

    def get_context_data(self, **kwargs):
        return super().get_context_data(rules=_password_rules(), **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        sessions_end_for_user(user=self.user)
        security_event(self.event, request=self.request, email=self.user.email)
        return response

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


class SetPasswordConfirmView(PasswordResetConfirmView):
    """An added person's first password: the same flow, the 7-day link."""

    template_name = "registration/set_password_confirm.html"
    success_url = reverse_lazy("set_password_complete")
    token_generator = passwords.set_password_tokens
    event = "password_set"


class SetPasswordCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/set_password_complete.html"
