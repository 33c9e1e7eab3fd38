from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from partners.forms import SignInForm
from partners.permissions import Action, partner_required
from partners.services import membership_set_language


class PortalLoginView(LoginView):
    """Django's LoginView with the portal's throttled, email-based form."""

    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = False

    def form_valid(self, form):
        response = super().form_valid(form)
        membership_set_language(user=self.request.user, language=get_language() or "")
        return response

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


login_view = sensitive_post_parameters("password")(PortalLoginView.as_view())


@require_POST
def set_language_view(request):
    """Django's set_language (cookie), remembered for the partner user's emails too."""
    response = set_language(request)
    membership_set_language(
        user=request.user, language=request.POST.get("language", "")
    )
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


@partner_required(Action.VIEW_OVERVIEW)
def overview(request):
    """R42: the partner user's landing page."""
    return render(request, "partners/overview.html", {})


@login_required
def notifications(request):
    """R43: the signed-in person's notices, newest first."""
    return render(request, "partners/notifications.html", {})


@require_POST
@login_required
def notifications_read(request):
    """R43: mark one notice (``id``) or all of them read."""
    return redirect("partners:notifications")
