from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language
from django_otp import DEVICE_ID_SESSION_KEY

from core.converters import is_id
from core.notifications import notice_kind, notice_link, notice_text
from core.pagination import Paginator
from core.selectors import notification_get, notification_list
from core.services import notifications_mark_all_read, notifications_mark_read
from partners.forms import SignInForm
from partners.overview import overview_panels
from partners.permissions import Action, partner_required
from partners.services import membership_set_language
from partners.two_step import has_confirmed_device, with_next


class PortalLoginView(LoginView):
    """Django's LoginView with the portal's throttled, email-based form."""

    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = False

    def form_valid(self, form):
        response = super().form_valid(form)
        request = self.request
        # R28: a new sign-in proves the second factor again; a person who has
        # one is asked for it before the page they wanted (kept as ``next``).
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
        request.user.otp_device = None
        if has_confirmed_device(request.user):
            response = redirect(
                with_next(reverse("login_verify"), self.get_success_url())
            )
        membership = getattr(request.user, "partner_membership", None)
        preferred = membership.language if membership is not None else ""
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if preferred and not chosen:
            # R19/8.8: a person who prefers a language (Fabrikam's admin: German)
            # gets it on any browser; one who picked a language here keeps theirs.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                preferred,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        else:
            membership_set_language(user=request.user, language=get_language() or "")
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
    """R42: the partner user's landing page, one panel per registered source
    (``partners.overview``), those the person's roles allow, in order."""
    panels = overview_panels(
        partner=request.partner, membership=request.membership, now=timezone.now()
    )
    return render(request, "partners/overview.html", {"panels": panels})


NOTIFICATIONS_PAGE_SIZE = 25


@login_required
def notifications(request):
    """R43: the signed-in person's notices, newest first; unread until marked.

    Everyone signed in has the page (partner users of every role, customer
    administrators, staff): it shows only their own notices.
    """
    show = "unread" if request.GET.get("show") == "unread" else "all"
    page = Paginator(
        notification_list(recipient=request.user, unread_only=show == "unread"),
        NOTIFICATIONS_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    rows = [
        {
            "notice": notice,
            "label": notice_kind(notice).label,
            "text": notice_text(notice),
            "link": notice_link(notice),
            "unread": notice.read_at is None,
        }
        for notice in page.object_list
    ]
    return render(
        request,
        "partners/notifications.html",
        {"page": page, "rows": rows, "show": show, "here": request.get_full_path()},
    )


@require_POST
@login_required
def notifications_read(request):
    """R43: mark one notice (``id``) or all of them (``all``) read, then go back.

    R17: an id that is not one of the person's notices is a 404 and changes
    nothing.
    """
    if request.POST.get("all"):
        notifications_mark_all_read(recipient=request.user)
    else:
        notice_id = request.POST.get("id", "")
        if not is_id(notice_id):
            raise Http404
        notice = notification_get(recipient=request.user, notification_id=notice_id)
        notifications_mark_read(recipient=request.user, ids=[notice.pk])
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("partners:notifications")
    return redirect(back)
