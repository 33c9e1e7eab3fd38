from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import LogoutView
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from partners.forms import SignInForm


def safe_next(request, default="home"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    form = SignInForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        auth_login(request, form.get_user())
        remember_language(request.user, get_language() or "")
        return redirect(safe_next(request))
    status = 400 if form.is_bound else 200
    return render(
        request,
        "registration/login.html",
        {"form": form, "next": safe_next(request, "")},
        status=status,
    )


def remember_language(user, language: str) -> None:
    """Keep a partner user's language for the emails the portal sends them (R19)."""
    membership = (
        getattr(user, "partner_membership", None) if user.is_authenticated else None
    )
    if membership is not None and language and membership.language != language:
        membership.language = language
        membership.save(update_fields=["language"])


@require_POST
def set_language_view(request):
    """Django's set_language (cookie), remembered for the partner user's emails too."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES):
        remember_language(request.user, language)
    return response


class PortalLogoutView(LogoutView):
    """Sign out by POST (CSRF); a GET shows a page with the Sign out button."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return render(request, "registration/logout_confirm.html")

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You are signed out."))
        return response


logout_view = PortalLogoutView.as_view()


def permission_denied(request, exception=None):
    """403 page naming the role needed (the message comes from partner_required)."""
    message = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"reason": message}, status=403)
