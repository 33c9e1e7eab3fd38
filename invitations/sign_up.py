"""Customer sign-up from a link (R9, DESIGN 8.2): the address proves the domain.

"Create an account for your organisation" creates nothing at first.
``sign_up_start`` checks the form's rules, then emails a 6-digit code to the
administrator's address (at the organisation's domain) through the queue and
returns a ``PendingSignUp`` that the view keeps in the server-side session: the
code only as a keyed hash, the password already hashed. Only ``sign_up_complete``
with the right code creates the organisation and its administrator, in one
transaction that locks the link's invitation and checks everything again.

Until the code is proven, every answer is the same whether or not the address
or the domain is known: an address that already has an account gets a note
("you already have an account") instead of a code, and the page says "we sent a
code" either way; a taken domain is said only once the code is proven.

Wrong codes count before the check (core.throttle) per address and per client
address; after CODE_FAILURE_LIMIT wrong codes the sign-up is stopped. Sending a
code (the first one or "Send a new code") is limited the same way, so the form
cannot be used to flood someone's mailbox.
"""

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from core import throttle
from core.client_ip import client_ip, throttle_address
from core.exceptions import DomainError
from core.mail import email_queue
from core.security_log import security_event
from customers.models import Customer
from customers.services import customer_create_with_admin
from invitations.models import Invitation

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=15)
# R9/8.2: one link may create at most this many organisations (each needs its
# own proven address; the link is single use for the acceptance itself).
ORGANISATIONS_PER_LINK = 3
CODE_SALT = "invitations.sign_up.code"

CODE_BUCKET = "sign-up:code"
CODE_CLIENT_BUCKET = "sign-up:code-client"
SEND_BUCKET = "sign-up:send"
SEND_CLIENT_BUCKET = "sign-up:send-client"


@dataclass
class PendingSignUp:
    """A sign-up waiting for its code: what the session keeps (JSON-safe).

    Never the code or the password in clear: ``code_hash`` is an HMAC under the
    server's key (a session table dump alone cannot test the million codes),
    ``password_hash`` is Django's password hash.
    """

    id: str
    invitation_id: int
    email: str
    organisation: str
    domain: str
    country: str
    first_name: str
    last_name: str
    password_hash: str
    language: str
    code_hash: str = ""
    expires_at: str = ""
    failures: int = 0

    def to_session(self) -> dict:
        return asdict(self)

    @classmethod
    def from_session(cls, data) -> "PendingSignUp | None":
        """The pending sign-up stored by ``to_session``; None for anything else."""
        if not isinstance(data, dict):
            return None
        try:
            pending = cls(**data)
        except TypeError:
            return None
        if not (isinstance(pending.id, str) and isinstance(pending.failures, int)):
            return None
        return pending

    def expired(self, now=None) -> bool:
        try:
            expires_at = datetime.fromisoformat(self.expires_at)
        except (TypeError, ValueError):
            return True
        return (now or timezone.now()) >= expires_at


def _code_hash(sign_up_id: str, code: str) -> str:
    return salted_hmac(
        CODE_SALT, f"{sign_up_id}:{code}", algorithm="sha256"
    ).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _client(request) -> str:
    return throttle_address(client_ip(request))


def _code_buckets(email: str, request) -> tuple[throttle.Bucket, throttle.Bucket]:
    return (
        throttle.Bucket(CODE_BUCKET, (email,), settings.CODE_FAILURE_LIMIT),
        throttle.Bucket(
            CODE_CLIENT_BUCKET, (_client(request),), settings.LOGIN_IP_FAILURE_LIMIT
        ),
    )


def _send_buckets(email: str, request) -> tuple[throttle.Bucket, throttle.Bucket]:
    return (
        throttle.Bucket(SEND_BUCKET, (email,), settings.CODE_FAILURE_LIMIT),
        throttle.Bucket(
            SEND_CLIENT_BUCKET, (_client(request),), settings.LOGIN_IP_FAILURE_LIMIT
        ),
    )


def _too_many_codes_error() -> DomainError:
    return DomainError(
        "code_throttled",
        _(
            "Too many wrong codes were entered. For your security this sign-up "
            "was stopped: wait %(minutes)s minutes, then start again."
        )
        % {"minutes": throttle.minutes_left()},
    )


def _address_taken(email: str) -> bool:
    return (
        get_user_model()
        ._default_manager.annotate(folded=Lower("email"))
        .filter(folded=email)
        .exists()
    )


def _domain_taken(domain: str) -> bool:
    return Customer.objects.filter(domain=domain).exists()


def _people_at(domain: str):
    """Accounts with an address at ``domain`` (whatever the letter case)."""
    return get_user_model()._default_manager.filter(email__iendswith=f"@{domain}")


def _ensure_not_partner_domain(invitation: Invitation, domain: str) -> None:
    """A partner's people cannot sign up their own domain as a customer through
    their partner's link (a sales agent once did, with their own address)."""
    if (
        _people_at(domain)
        .filter(partner_membership__partner=invitation.partner_id)
        .exists()
    ):
        raise DomainError(
            "partner_domain",
            _(
                "%(domain)s is a domain of %(partner)s: use your own "
                "organisation's domain and address."
            )
            % {"domain": domain, "partner": invitation.partner.name},
        )


def _ensure_link_allowance(invitation: Invitation) -> None:
    count = Customer.objects.filter(signed_up_through=invitation.pk).count()
    if count >= ORGANISATIONS_PER_LINK:
        raise DomainError(
            "link_sign_up_limit",
            _(
                "This link has already been used to create %(count)s "
                "organisations, the most one link allows. Sign in with an "
                "existing account, or ask your partner for a new request."
            )
            % {"count": ORGANISATIONS_PER_LINK},
        )


def _ensure_can_send(email: str, request) -> None:
    """Counted before sending: the first code and each "Send a new code"."""
    if throttle.exceeded(*_code_buckets(email, request)):
        raise _too_many_codes_error()
    if throttle.attempt(*_send_buckets(email, request)):
        raise DomainError(
            "send_throttled",
            _("Too many codes were sent. Wait %(minutes)s minutes, then try again.")
            % {"minutes": throttle.minutes_left()},
        )


def _queue_code_email(pending: PendingSignUp, *, code: str, partner_name: str):
    """The code (or, for a known address, a note) in the person's language.

    Both go through the queue in the caller's transaction, so the response
    (and its time) is the same for a known and an unknown address."""
    known = _address_taken(pending.email)
    context = {
        "code": code,
        "minutes": int(CODE_TTL.total_seconds() // 60),
        "organisation": pending.organisation,
        "partner": partner_name,
        "sign_in_url": f"{settings.PORTAL_BASE_URL}{reverse('login')}",
        "reset_url": f"{settings.PORTAL_BASE_URL}{reverse('password_reset')}",
    }
    template = "sign_up_known" if known else "sign_up_code"
    with translation.override(pending.language):
        subject = render_to_string(
            f"invitations/email/{template}_subject.txt", context
        ).strip()
        body = render_to_string(f"invitations/email/{template}_body.txt", context)
    email_queue(
        to=pending.email,
        subject=subject,
        body=body.strip() + "\n",
        language=pending.language,
    )
    return known


def _send_code(pending: PendingSignUp, *, invitation: Invitation, request) -> None:
    code = _new_code()
    pending.code_hash = _code_hash(pending.id, code)
    pending.expires_at = (timezone.now() + CODE_TTL).isoformat()
    with transaction.atomic():
        known = _queue_code_email(
            pending, code=code, partner_name=invitation.partner.name
        )
    # The log may say which it was; the visitor is never told.
    security_event(
        "sign_up_code_sent",
        request=request,
        email=pending.email,
        invitation_id=invitation.pk,
        delivery="note" if known else "code",
    )


def sign_up_start(
    *, invitation: Invitation, data: dict, language: str, request
) -> PendingSignUp:
    """Step 1: the form is valid; email a code and return the pending sign-up.

    Creates no organisation and no account. ``data`` is SignUpForm's
    cleaned_data (address folded and at the domain, password validated).
    Refuses (DomainError) a link past ORGANISATIONS_PER_LINK, the inviting
    partner's own domain, and too many codes sent or wrong codes entered.
    """
    _ensure_link_allowance(invitation)
    _ensure_not_partner_domain(invitation, data["domain"])
    _ensure_can_send(data["email"], request)
    pending = PendingSignUp(
        id=secrets.token_urlsafe(16),
        invitation_id=invitation.pk,
        email=data["email"],
        organisation=data["organisation"].strip(),
        domain=data["domain"],
        country=str(data["country"]),
        first_name=data["first_name"].strip(),
        last_name=data["last_name"].strip(),
        password_hash=make_password(data["password"]),
        language=language,
    )
    _send_code(pending, invitation=invitation, request=request)
    return pending


def sign_up_resend(
    *, pending: PendingSignUp, invitation: Invitation, request
) -> PendingSignUp:
    """ "Send a new code": a new code and 15 minutes; the old code stops working.

    The wrong codes already entered still count."""
    _ensure_can_send(pending.email, request)
    _send_code(pending, invitation=invitation, request=request)
    return pending


def sign_up_check_code(*, pending: PendingSignUp, code: str, request) -> None:
    """Step 2: the code, counted before it is checked; raises unless it is right.

    ``pending.failures`` goes up with each wrong code (the caller stores it);
    at CODE_FAILURE_LIMIT the error's code is "code_throttled" and the sign-up
    must be dropped.
    """
    buckets = _code_buckets(pending.email, request)
    if throttle.attempt(*buckets) or pending.failures >= settings.CODE_FAILURE_LIMIT:
        raise _too_many_codes_error()
    if pending.expired():
        raise DomainError(
            "code_expired",
            _("This code has expired. Send a new code, then enter it here."),
        )
    expected = pending.code_hash
    if expected and constant_time_compare(expected, _code_hash(pending.id, code)):
        throttle.clear(buckets[0])
        throttle.forgive(buckets[1])
        return
    pending.failures += 1
    security_event(
        "sign_up_code_failed",
        request=request,
        email=pending.email,
        invitation_id=pending.invitation_id,
        failures=pending.failures,
    )
    if pending.failures >= settings.CODE_FAILURE_LIMIT:
        raise _too_many_codes_error()
    raise DomainError(
        "code_wrong",
        _("This code is not the one we sent. Check the latest email and try again."),
    )


def _ensure_domain_free_of_staff_and_partners(domain: str) -> None:
    """After the code is proven: a domain whose people work for a partner (any
    partner) or for the portal's staff is not a customer's."""
    if (
        _people_at(domain)
        .filter(Q(partner_membership__isnull=False) | Q(is_staff=True))
        .exists()
    ):
        raise DomainError(
            "partner_domain",
            _(
                "%(domain)s is used by a partner or by support staff, so it "
                "cannot become a customer organisation's domain."
            )
            % {"domain": domain},
        )


@transaction.atomic
def sign_up_complete(*, pending: PendingSignUp, request):
    """The code is proven: create the organisation and its administrator.

    The invitation is locked, so two sign-ups through one link queue and the
    per-link limit holds; everything checked at step 1 is checked again (the
    link still pending, the domain and the address still free). Returns
    (customer, user); raises DomainError and creates nothing otherwise.
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("partner")
        .get(pk=pending.invitation_id)
    )
    if invitation.effective_status(timezone.now()) != Invitation.Status.PENDING:
        raise DomainError(
            "not_pending",
            _("This request is no longer pending: the organisation was not created."),
        )
    _ensure_link_allowance(invitation)
    _ensure_not_partner_domain(invitation, pending.domain)
    _ensure_domain_free_of_staff_and_partners(pending.domain)
    if _address_taken(pending.email):
        raise DomainError(
            "email_taken",
            _("An account with this email address already exists: sign in with it."),
        )
    if _domain_taken(pending.domain):
        raise DomainError(
            "domain_taken",
            _(
                "An organisation with the domain %(domain)s already exists. Ask "
                "one of its administrators to sign in and accept."
            )
            % {"domain": pending.domain},
        )
    customer, user = customer_create_with_admin(
        name=pending.organisation,
        domain=pending.domain,
        country=pending.country,
        cloud=invitation.partner.cloud,
        email=pending.email,
        password=None,  # replaced at once by the hash made at step 1
    )
    user.password = pending.password_hash
    user.first_name = pending.first_name[:150]
    user.last_name = pending.last_name[:150]
    user.save(update_fields=["password", "first_name", "last_name"])
    Customer.objects.filter(pk=customer.pk).update(signed_up_through=invitation.pk)
    customer.signed_up_through = invitation.pk
    transaction.on_commit(
        lambda: security_event(
            "sign_up_completed",
            request=request,
            email=pending.email,
            invitation_id=invitation.pk,
            customer_id=customer.pk,
        )
    )
    return customer, user
