"""Step 2 of "Create an account for your organisation" (DESIGN 8.2): the code.

The pending sign-up lives in the server-side session (its id is also in the
address, so a page left open for another sign-up, or a made-up id, is a 404);
the link it came from must still be the session's link. Only the right code
creates the organisation (invitations.sign_up), then the visitor is signed in
and back on the acceptance page of the link.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from invitations import selectors, sign_up
from invitations.experiences import experience_of
from invitations.forms import SignUpCodeForm
from invitations.views import (
    LINK_PROBLEMS,
    SESSION_KEY,
    SESSION_PLACEHOLDER,
    SIGN_UP_SESSION_KEY,
    in_page_language,
    signed_in_refusal,
)


def _missing(request):
    return render(request, "invitations/sign_up_missing.html", status=404)


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def sign_up_code(request, sign_up_id):
    """The code page: enter the code, or "Send a new code"."""
    pending = sign_up.PendingSignUp.from_session(
        request.session.get(SIGN_UP_SESSION_KEY)
    )
    if pending is None or not constant_time_compare(pending.id, sign_up_id):
        return _missing(request)
    proof = request.session.get(SESSION_KEY)
    try:
        invitation = selectors.invitation_from_session(proof)
    except Http404:
        # The link was replaced, or the session no longer holds it.
        request.session.pop(SIGN_UP_SESSION_KEY, None)
        return _missing(request)
    if invitation.pk != pending.invitation_id:
        return _missing(request)
    step = CodeStep(request, invitation, pending, proof)
    return in_page_language(request, invitation, step.respond)


class CodeStep:
    """One request to the code page, and its actions (one small handler each)."""

    def __init__(self, request, invitation, pending, proof):
        self.request = request
        self.invitation = invitation
        self.pending = pending
        self.proof = proof
        experience = experience_of(invitation)
        self.back_url = reverse(
            experience.url_name, kwargs={"token": SESSION_PLACEHOLDER}
        )

    def respond(self):
        request = self.request
        status = self.invitation.effective_status(timezone.now())
        if status in LINK_PROBLEMS:
            self.drop()
            return render(
                request,
                "invitations/link_gone.html",
                {"problem": LINK_PROBLEMS[status], "partner": self.invitation.partner},
                status=410,
            )
        if request.user.is_authenticated:
            self.drop()
            messages.error(request, signed_in_refusal(request.user))
            return redirect(self.back_url)
        if request.method != "POST":
            return self.page(SignUpCodeForm())
        handler = {"verify": self.verify, "resend": self.resend}.get(
            request.POST.get("action")
        )
        if handler is None:
            return self.page(SignUpCodeForm(), status=400)
        return handler()

    def page(self, form, status=200):
        return render(
            self.request,
            "invitations/sign_up_code.html",
            {
                "form": form,
                "email": self.pending.email,
                "minutes": int(sign_up.CODE_TTL.total_seconds() // 60),
                "invitation": self.invitation,
                "back_url": self.back_url,
            },
            status=status,
        )

    def keep(self):
        self.request.session[SIGN_UP_SESSION_KEY] = self.pending.to_session()

    def drop(self):
        self.request.session.pop(SIGN_UP_SESSION_KEY, None)

    def stopped(self, exc):
        """The sign-up cannot go on (too many wrong codes, or refused once the
        code was proven): back to the link's page with the reason."""
        self.drop()
        messages.error(self.request, str(exc))
        return redirect(self.back_url)

    def verify(self):
        request = self.request
        form = SignUpCodeForm(request.POST)
        if not form.is_valid():
            return self.page(form, status=400)
        try:
            sign_up.sign_up_check_code(
                pending=self.pending, code=form.cleaned_data["code"], request=request
            )
        except DomainError as exc:
            if exc.code == "code_throttled":
                return self.stopped(exc)
            self.keep()  # the wrong code counts
            form.add_error("code", str(exc))
            return self.page(form, status=400)
        try:
            _customer, user = sign_up.sign_up_complete(
                pending=self.pending, request=request
            )
        except DomainError as exc:
            return self.stopped(exc)
        self.drop()
        login(request, user, backend="partners.backends.EmailBackend")
        # Back to the acceptance page of the same link (login keeps the session's
        # data; set it again as the sign-in handler does).
        request.session[SESSION_KEY] = self.proof
        messages.success(request, _("Your organisation's account was created."))
        return redirect(self.back_url)

    def resend(self):
        request = self.request
        try:
            sign_up.sign_up_resend(
                pending=self.pending, invitation=self.invitation, request=request
            )
        except DomainError as exc:
            if exc.code == "code_throttled":
                return self.stopped(exc)
            messages.error(request, str(exc))
        else:
            self.keep()
            messages.success(
                request,
                _("We sent a new code to %(email)s. The previous code no longer works.")
                % {"email": self.pending.email},
            )
        return redirect("invitations:sign_up_code", sign_up_id=self.pending.id)
