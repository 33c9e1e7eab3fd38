from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from core.countries import country_name
from core.exceptions import DomainError
from core.formatting import date_formatter, datetime_formatter
from core.links import mailto_url, reverse_each
from core.pagination import paginate
from customers import selectors as customer_selectors
from customers.permissions import customer_admin_membership
from invitations import selectors, services, sign_up, tokens
from invitations.experiences import EXPERIENCES, Experience, experience_of
from invitations.forms import (
    DraftForm,
    InvitationRequestForm,
    ResponseForm,
    SignUpForm,
)
from invitations.models import Invitation
from partners.forms import SignInForm
from partners.models import Cloud
from partners.permissions import Action, can_manage_invitation, partner_required

PAGE_SIZE = 25
# After the first hit the link moves into the session and the address bar shows
# this placeholder instead (as Django's password-reset view does).
SESSION_KEY = "_invitation_link"
SESSION_PLACEHOLDER = "session"
# A sign-up waiting for its emailed code (invitations.sign_up.PendingSignUp).
SIGN_UP_SESSION_KEY = "_pending_sign_up"
Status = Invitation.Status


def _managed(request, invitation_id):
    """One of the partner's requests (another partner's id: 404, R17) that this
    person may open and change (R1), else 403."""
    invitation = selectors.invitation_get(
        partner=request.partner, invitation_id=invitation_id
    )
    _ensure_can_manage(request, invitation)
    return invitation


def _ensure_can_manage(request, invitation):
    if not can_manage_invitation(request.membership, invitation):
        raise PermissionDenied(
            gettext_lazy(
                "Only the person who made this request, a Global admin or an Admin "
                "agent can open or change it."
            )
        )


@require_http_methods(["GET", "POST"])
@partner_required(Action.REQUEST_RELATIONSHIP)
def invitation_new(request):
    """R2/R3: choose DAP, recipient and email language; then go to the draft."""
    # A POST with no field at all is still a POST (R3: a forged one is refused).
    data = request.POST if request.method == "POST" else None
    # From a card's "Request admin privileges": say for whom, fill in the address.
    target = customer_selectors.request_target(
        partner=request.partner, customer_id=request.GET.get("customer", "")
    )
    initial = {"recipient_email": target[1]} if target else {}
    form = InvitationRequestForm(data, partner=request.partner, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                partner=request.partner, created_by=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error("include_dap", str(exc))
        else:
            return redirect("invitations:email", invitation_id=invitation.pk)
    return render(
        request,
        "invitations/invitation_new.html",
        {
            "form": form,
            "target_customer": target[0] if target else None,
            "partner_country": country_name(request.partner.country),
            "cloud_label": Cloud(request.partner.cloud).label,
        },
        status=400 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@partner_required(Action.REQUEST_RELATIONSHIP)
def invitation_email(request, invitation_id):
    """R5/R6: review, edit, open in email or copy the draft with its link."""
    invitation = _managed(request, invitation_id)
    pending = invitation.effective_status(timezone.now()) == Status.PENDING
    link = tokens.link_for(invitation) if pending else _("(this link no longer works)")
    initial = {
        "subject": invitation.subject_with_link(link),
        "body": invitation.body_with_link(link),
        "recipient_email": invitation.recipient_email,
    }
    data = request.POST if request.method == "POST" else None
    form = DraftForm(data, initial=initial)
    if request.method == "POST":
        if not pending:
            messages.error(request, _("This request is no longer pending."))
            return _requests_of_kind(invitation)
        if form.is_valid():
            return _draft_post(request, invitation, form, link)
    return _draft_page(request, invitation, form, link, pending)


def _draft_post(request, invitation, form, link):
    """Save the edited draft (R5); with "Send email", then send it (R22).

    A refused send (the hourly limit, no address) keeps the saved text and says
    why; nothing of the draft is lost."""
    action = request.POST.get("action")
    try:
        invitation = services.invitation_save_draft(
            invitation_id=invitation.pk,
            link=link,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
        )
    except DomainError as exc:
        # R5: refused, and the partner's edited text stays on the page.
        form.add_error("body", str(exc))
        return _draft_page(request, invitation, form, link, True)
    if action == "send":
        try:
            services.invitation_send_email(
                invitation_id=invitation.pk,
                actor=request.user,
                to=form.cleaned_data["recipient_email"],
            )
        except DomainError as exc:
            form.add_error("recipient_email", str(exc))
            return _draft_page(request, invitation, form, link, True)
        messages.success(
            request, _("The email is queued: it goes out in a few seconds.")
        )
        return redirect("invitations:email", invitation_id=invitation.pk)
    if action == "ok":
        messages.success(
            request,
            _("Your request is ready: send the email to your customer."),
        )
        return _after_draft(invitation)
    messages.success(request, _("The email draft was saved."))
    return redirect("invitations:email", invitation_id=invitation.pk)


def _after_draft(invitation):
    """R6's "OK": back to where the kind of request lives (the Customers page, or
    the admin relationship's own page, R36)."""
    if invitation.kind == Invitation.Kind.ADMIN_RELATIONSHIP:
        return redirect("gdap:for_request", invitation_id=invitation.pk)
    return redirect("customers:list")


def _requests_of_kind(invitation):
    """Where requests of this kind are listed: Relationship requests, or the
    admin relationship's own page (R36)."""
    if invitation.kind == Invitation.Kind.ADMIN_RELATIONSHIP:
        return redirect("gdap:for_request", invitation_id=invitation.pk)
    return redirect("invitations:list")


def _draft_page(request, invitation, form, link, pending):
    saved_subject = invitation.subject_with_link(link)
    saved_body = invitation.body_with_link(link)
    email = invitation.last_email
    return render(
        request,
        "invitations/invitation_email.html",
        {
            "invitation": invitation,
            "form": form,
            "pending": pending,
            "gdap_draft": invitation.kind == Invitation.Kind.ADMIN_RELATIONSHIP,
            "delivery": email
            and selectors.delivery(
                status=email.status,
                sent_at=email.sent_at,
                error=email.last_error,
                opened_at=invitation.first_opened_at,
            ),
            "link": link if pending else "",
            "mailto": mailto_url(
                to=invitation.recipient_email, subject=saved_subject, body=saved_body
            ),
            # The page's script fills in the edited subject and body (R6): the
            # shape of the link is made here only.
            "mailto_template": mailto_url(
                to=invitation.recipient_email, subject="{subject}", body="{body}"
            ),
            "copy_text": f"{saved_subject}\n\n{saved_body}",
        },
        status=400 if form.errors else 200,
    )


@partner_required(Action.REQUEST_RELATIONSHIP)
def invitation_list(request):
    """The partner's relationship requests, newest first, with what each user may do."""
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    page = paginate(
        request,
        selectors.invitation_list(partner=request.partner, status=status),
        default=PAGE_SIZE,
    )
    now = timezone.now()
    invitations = list(page.object_list)
    ids = [inv.pk for inv in invitations]
    email_urls = reverse_each("invitations:email", "invitation_id", ids)
    revoke_urls = reverse_each("invitations:revoke", "invitation_id", ids)
    new_link_urls = reverse_each("invitations:new_link", "invitation_id", ids)
    extend_urls = reverse_each("invitations:extend", "invitation_id", ids)
    send_urls = reverse_each("invitations:send", "invitation_id", ids)
    labels = selectors.delivery_labels()
    format_datetime = datetime_formatter()
    # Rows are prepared here, not in the template: the benchmark measured the page
    # at 0.48 of the reference's requests/s with per-cell filters and 0.60 with
    # these rows (bench/README.md, 2026-11-26); the links cost one reverse() each.
    rows = []
    format_date = date_formatter()
    status_labels = {value: str(label) for value, label in Status.choices}
    for inv in invitations:
        shown = inv.effective_status(now)
        rows.append(
            {
                "invitation": inv,
                "status": shown,
                "status_label": status_labels[shown],
                "sent": format_date(inv.sent_at),
                "dap": inv.include_dap,
                "recipient": inv.recipient_email or "—",
                "creator": f"{inv.creator_first_name} {inv.creator_last_name}".strip()
                or inv.creator_email,
                "customer": inv.customer_name or "—",
                "expires": format_date(inv.expires_at),
                "can_manage": can_manage_invitation(request.membership, inv),
                "email_url": email_urls[inv.pk],
                "revoke_url": revoke_urls[inv.pk],
                "new_link_url": new_link_urls[inv.pk],
                "extend_url": extend_urls[inv.pk],
                "send_url": send_urls[inv.pk],
                "delivery": _delivery_cell(inv, labels, format_datetime),
            }
        )
    return render(
        request,
        "invitations/invitation_list.html",
        {"page": page, "rows": rows, "status": status, "statuses": Status.choices},
    )


def _delivery_cell(inv, labels, format_datetime):
    shown = selectors.delivery(
        status=inv.email_status,
        sent_at=inv.email_sent_at,
        error=inv.email_error,
        opened_at=inv.first_opened_at,
        labels=labels,
    )
    if shown is None:
        return None
    return {
        "code": shown.code,
        "label": shown.label,
        "time": format_datetime(shown.sent_at),
        "reason": shown.reason,
    }


def _back(request, invitation):
    """Where a row's action returns: the draft it came from, else the list."""
    if request.POST.get("next") == "email":
        return redirect("invitations:email", invitation_id=invitation.pk)
    return redirect("invitations:list")


@require_POST
@partner_required(Action.MANAGE_REQUESTS)
def invitation_extend(request, invitation_id):
    """R24: a pending request expires INVITATION_TTL_DAYS from now; same link."""
    invitation = _managed(request, invitation_id)
    try:
        invitation = services.invitation_extend(
            invitation_id=invitation.pk, actor=request.user
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The request was extended: its link now works until %(date)s.")
            % {"date": date_formatter()(invitation.expires_at)},
        )
    return _back(request, invitation)


@require_POST
@partner_required(Action.MANAGE_REQUESTS)
def invitation_send(request, invitation_id):
    """R22: "Send again" from the list: the saved draft, the same link."""
    invitation = _managed(request, invitation_id)
    try:
        services.invitation_send_email(
            invitation_id=invitation.pk,
            actor=request.user,
            to=request.POST.get("to") or invitation.recipient_email,
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("The email is queued: it goes out in a few seconds.")
        )
    return _back(request, invitation)


@require_http_methods(["GET", "POST"])
@partner_required(Action.MANAGE_REQUESTS)
def invitation_revoke(request, invitation_id):
    """R7: revoke a pending request after a confirmation page."""
    invitation = _managed(request, invitation_id)
    if request.method == "POST":
        try:
            services.invitation_revoke(invitation_id=invitation.pk, actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("The request was revoked; its link no longer works.")
            )
        return redirect("invitations:list")
    shown = invitation.effective_status(timezone.now())
    return render(
        request,
        "invitations/invitation_revoke.html",
        {
            "invitation": invitation,
            "pending": shown == Status.PENDING,
            "status_label": Status(shown).label,
        },
    )


@require_http_methods(["GET", "POST"])
@partner_required(Action.MANAGE_REQUESTS)
def invitation_new_link(request, invitation_id):
    """R7/R45: a new link after a confirmation page; the old one stops working.

    GET shows the confirmation (changes nothing); POST makes the new link."""
    # R17: another partner's id is a 404 for GET and POST alike: look it up first.
    invitation = _managed(request, invitation_id)
    if request.method != "POST":
        shown = invitation.effective_status(timezone.now())
        return render(
            request,
            "invitations/invitation_new_link.html",
            {
                "invitation": invitation,
                "pending": shown == Status.PENDING,
                "status_label": Status(shown).label,
                "ttl_days": settings.INVITATION_TTL_DAYS,
            },
        )
    try:
        services.invitation_renew_link(invitation_id=invitation.pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("invitations:list")
    messages.success(
        request, _("A new link was created. The previous link no longer works.")
    )
    return redirect("invitations:email", invitation_id=invitation.pk)


# --- The customer's side: the link, then the acceptance experience --------------

LINK_PROBLEMS = {
    Status.ACCEPTED: "used",
    Status.DECLINED: "declined",
    Status.REVOKED: "revoked",
    Status.EXPIRED: "expired",
}


def page_language(request, invitation) -> str:
    """R45: the language the visitor chose with the selector (its cookie), else
    the language of the email the link came in."""
    for code in (
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME),
        invitation.email_language,
    ):
        if code:
            try:
                return translation.get_supported_language_variant(code)
            except LookupError:
                continue
    return translation.get_language() or settings.LANGUAGE_CODE


def in_page_language(request, invitation, respond, *args, **kwargs):
    """``respond(*args, **kwargs)`` with the page language of ``page_language``
    active: pages, messages, form errors and ``<html lang>`` all follow it."""
    language = page_language(request, invitation)
    request.LANGUAGE_CODE = language
    with translation.override(language):
        response = respond(*args, **kwargs)
    response.headers["Content-Language"] = language
    return response


def _link_invalid(request):
    return render(request, "invitations/link_invalid.html", status=404)


def _link_gone(request, invitation, problem):
    return render(
        request,
        "invitations/link_gone.html",
        {"problem": problem, "partner": invitation.partner},
        status=410,
    )


@never_cache
@sensitive_variables("token")
def accept(request, token):
    """R7/R8: check the link, note the first opening, move it into the session and
    send the visitor to the experience that the dispatch table chooses."""
    try:
        invitation = selectors.invitation_from_token(token)
    except Http404:
        return _link_invalid(request)
    return in_page_language(
        request, invitation, _accept_link, request, invitation, token
    )


@sensitive_variables("token")
def _accept_link(request, invitation, token):
    problem = LINK_PROBLEMS.get(invitation.effective_status(timezone.now()))
    if problem:
        return _link_gone(request, invitation, problem)
    proof = tokens.session_proof(token)
    if request.session.get(SESSION_KEY) != proof:
        # Opening the same link again changes nothing: no session write.
        request.session[SESSION_KEY] = proof
    return redirect(experience_of(invitation).url_name, token=SESSION_PLACEHOLDER)


@dataclass(frozen=True)
class Flow:
    """What one kind of request does on its page: the reseller acceptance (R9)
    here, the approval of an admin relationship (R32) in ``gdap``.

    ``accept``/``decline`` are services called as ``(invitation_id=, admin_user=,
    link_nonce=)``; ``eligibility(invitation=, user=)`` answers an Eligibility;
    ``context(visit)`` adds what the page shows beyond the shared pieces;
    ``accepted(visit)`` is the page of the result once accepted (or None).
    """

    kind: str
    accept: Callable
    decline: Callable
    eligibility: Callable
    accepted_template: str = "portals/accepted.html"
    declined_template: str = "portals/declined.html"
    decline_confirm_template: str = "portals/decline_confirm.html"
    context: Callable = lambda visit: {}  # noqa: E731


@dataclass
class Visit:
    """One visit to an acceptance page: who, which invitation, which experience.

    The page and each of its actions take this, so another approval page (R32)
    can reuse the handlers with its own invitation kind and services.
    """

    request: object
    invitation: Invitation
    experience: Experience
    proof: dict
    membership: object  # the customer administrator's membership, or None
    # R45: may the signed-in person accept (or decline), and if not, why.
    eligibility: selectors.Eligibility | None = None
    flow: Flow | None = None

    def again(self):
        """Back to the page (POST → redirect → GET), the link kept in the session."""
        self.request.session[SESSION_KEY] = self.proof
        return redirect(self.experience.url_name, token=SESSION_PLACEHOLDER)

    def render(self, template, status=200, **context):
        context.update(invitation=self.invitation, experience=self.experience)
        if self.flow is not None:
            context.update(self.flow.context(self))
        return render(self.request, template, context, status=status)


def _sender_name(invitation):
    creator = invitation.created_by
    return creator.get_full_name() or creator.email


def _experience_page(visit, *, signin_form=None, signup_form=None, status=200):
    invitation = visit.invitation
    eligibility = visit.eligibility
    if signup_form is None:
        signup_form = SignUpForm(partner=invitation.partner)
    if signin_form is None:
        # The page is read first (who asks, for what): no jump to the sign-in
        # box, and a sign-up with errors keeps the focus on its own first error.
        signin_form = SignInForm(visit.request)
        signin_form.fields["email"].widget.attrs.pop("autofocus", None)
    return visit.render(
        visit.experience.template,
        status=status,
        partner_country=country_name(invitation.partner.country),
        admin_membership=visit.membership,
        eligibility=eligibility,
        why_not=eligibility.reason if eligibility else "",
        sender=_sender_name(invitation),
        signin_form=signin_form,
        signup_form=signup_form,
        experiences=EXPERIENCES,
    )


def _sign_in(visit):
    form = SignInForm(visit.request, data=visit.request.POST)
    if not form.is_valid():
        return _experience_page(visit, signin_form=form, status=400)
    login(visit.request, form.get_user())
    return visit.again()


def _sign_up(visit):
    """Step 1 of "Create an account for your organisation" (DESIGN 8.2): nothing
    is created; a code goes to the address and the code page follows."""
    request = visit.request
    if request.user.is_authenticated:
        messages.error(request, signed_in_refusal(request.user))
        return visit.again()
    form = SignUpForm(request.POST, partner=visit.invitation.partner)
    if form.is_valid():
        try:
            pending = sign_up.sign_up_start(
                invitation=visit.invitation,
                data=form.cleaned_data,
                language=translation.get_language() or settings.LANGUAGE_CODE,
                request=request,
            )
        except DomainError as exc:
            form.add_error("domain" if exc.code == "partner_domain" else None, str(exc))
        else:
            request.session[SIGN_UP_SESSION_KEY] = pending.to_session()
            return redirect("invitations:sign_up_code", sign_up_id=pending.id)
    form.focus_first_error()
    return _experience_page(visit, signup_form=form, status=400)


def signed_in_refusal(user) -> str:
    return _(
        "You are signed in as %(email)s. Sign out first to create an account for "
        "a new organisation."
    ) % {"email": user.email}


def _switch_account(visit):
    logout(visit.request)
    return visit.again()


def _respond(visit, *, service, done, confirm_template=None, allowed=True):
    """Accept or decline: only an administrator, only the invitation they read,
    and (for what cannot be undone) only once confirmed on a page of its own."""
    request = visit.request
    if visit.membership is None or not allowed:
        # The page already says why (R45) and offers no such button.
        if not request.user.is_authenticated:
            messages.error(
                request, _("Sign in as an administrator of your organisation first.")
            )
        return visit.again()
    form = ResponseForm(
        request.POST,
        invitation=visit.invitation,
        confirmation_required=confirm_template is not None,
    )
    if not form.is_valid():
        if form.needs_confirmation():
            return visit.render(confirm_template)
        # R9: the session now holds another link (opened in another tab).
        messages.error(request, form.refusal())
        return visit.again()
    try:
        service(
            invitation_id=visit.invitation.pk,
            admin_user=request.user,
            link_nonce=visit.invitation.link_nonce,
        )
    except DomainError as exc:
        # R4 and the like: nothing changed, the invitation stays pending.
        messages.error(request, str(exc))
        return visit.again()
    return done(visit)


def _declined(visit):
    visit.request.session.pop(SESSION_KEY, None)
    return visit.render(visit.flow.declined_template)


def _accept_action(visit):
    return _respond(
        visit,
        service=visit.flow.accept,
        done=Visit.again,
        allowed=bool(visit.eligibility and visit.eligibility.can_accept),
    )


def _decline_action(visit):
    return _respond(
        visit,
        service=visit.flow.decline,
        done=_declined,
        confirm_template=visit.flow.decline_confirm_template,
        allowed=bool(visit.eligibility and visit.eligibility.can_decline),
    )


RESELLER_FLOW = Flow(
    kind=Invitation.Kind.RESELLER,
    accept=services.invitation_accept,
    decline=services.invitation_decline,
    eligibility=selectors.acceptance_eligibility,
)


EXPERIENCE_ACTIONS = {
    "signin": _sign_in,
    "signup": _sign_up,
    "switch": _switch_account,
    "accept": _accept_action,
    "decline": _decline_action,
}


def _visit_or_response(request, invitation, proof, slug, flow):
    """The visit the session's link allows, or the page that says why not."""
    chosen = experience_of(invitation)
    if chosen.slug != slug:
        return redirect(chosen.url_name, token=SESSION_PLACEHOLDER)
    membership = customer_admin_membership(request.user)
    if (
        invitation.status == Status.ACCEPTED
        and membership is not None
        and (invitation.customer_id == membership.customer_id)
    ):
        # R9: the second click (or the slower administrator) sees the result.
        return Visit(request, invitation, chosen, proof, membership, flow=flow).render(
            flow.accepted_template
        )
    problem = LINK_PROBLEMS.get(invitation.effective_status(timezone.now()))
    if problem:
        return _link_gone(request, invitation, problem)
    eligibility = flow.eligibility(invitation=invitation, user=request.user)
    return Visit(request, invitation, chosen, proof, membership, eligibility, flow)


def _experience_response(request, invitation, proof, slug, flow):
    visit = _visit_or_response(request, invitation, proof, slug, flow)
    if not isinstance(visit, Visit):
        return visit
    if request.method != "POST":
        return _experience_page(visit)
    handler = EXPERIENCE_ACTIONS.get(request.POST.get("action"))
    if handler is None:
        return _experience_page(visit, status=400)
    # Opened: a person acted on the page (signed in, signed up, pressed a
    # button). Mail security gateways fetch every link of a message, so the
    # bare GET of the link does not count.
    services.invitation_mark_opened(invitation=visit.invitation)
    return handler(visit)


@never_cache
@sensitive_post_parameters("password")
@sensitive_variables("token")
@require_http_methods(["GET", "POST"])
def experience(request, token, slug, flow=RESELLER_FLOW):
    """R9: the acceptance page of one experience; each POST action is a handler.

    R45: in the email's language unless the visitor chose one. ``flow`` is what
    the kind of request does (R32's approval page passes its own)."""
    if token != SESSION_PLACEHOLDER:
        # Opened with the link itself: check it and take it out of the address.
        return accept(request, token)
    proof = request.session.get(SESSION_KEY)
    if not proof:
        return render(request, "invitations/link_session_missing.html", status=404)
    try:
        invitation = selectors.invitation_from_session(proof)
    except Http404:
        return _link_invalid(request)
    if invitation.kind != flow.kind:
        # The session holds a link of another kind: its own page serves it.
        return redirect(experience_of(invitation).url_name, token=SESSION_PLACEHOLDER)
    return in_page_language(
        request,
        invitation,
        _experience_response,
        request,
        invitation,
        proof,
        slug,
        flow,
    )
