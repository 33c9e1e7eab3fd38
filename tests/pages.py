"""Every page of the portal, per kind of visitor, on demo-like data (issue 12).

One catalogue for the checks that visit every page: the browser test of layout and
accessibility (tests/browser/test_every_page.py) and the Nu HTML checker test
(tests/test_html_valid.py). ``build()`` makes the data with the factories and
returns, for each visitor, who signs in and the pages to open.

A page's ``path`` is what the visitor opens; the acceptance links redirect to the
experience page (office or store), which is what is checked. ``status`` is the
status of the page finally shown (403, 404 and 410 pages are pages too).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from customers.models import ResellerRelationship, ServiceRequest, Subscription
from invitations import tokens
from invitations.models import BulkRequest, Invitation
from partners.models import Role
from tests import factories

Status = Invitation.Status
# Before the cutover (2018-11-01) a public-cloud link opens the Office experience.
LEGACY_SENT = datetime(2018, 10, 15, 9, 0, tzinfo=UTC)
# Word-heavy names, the kind that broke inside words in the issue.
LONG_EMAIL = "procurement.department@tailspin-manufacturing.example"


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    status: int = 200
    # False: rendered for the HTML checker only (cheap), not opened in the browser.
    in_browser: bool = True


@dataclass
class Visitor:
    """Who visits (None: anonymous) and the pages they open."""

    key: str
    user: object
    pages: list = field(default_factory=list)

    def add(self, name, path, status=200, *, in_browser=True):
        self.pages.append(Page(name, path, status, in_browser))

    @property
    def browser_pages(self):
        return [page for page in self.pages if page.in_browser]


VISITORS = [
    "anonymous",
    "global_admin",
    "sales_agent",
    "helpdesk_agent",
    "customer_admin",
    "support_staff",
    "superuser",
]


def _link(invitation):
    return reverse(
        "invitations:accept", kwargs={"token": tokens.make_token(invitation)}
    )


def _data():
    """Demo-like data: DESIGN.md 6 in small, with every status and kind."""
    now = timezone.now()
    d = {}
    contoso = d["partner"] = factories.PartnerFactory(
        name="Contoso Cloud Partners", country="FR"
    )
    d["global_admin"] = factories.partner_user(
        contoso, Role.GLOBAL_ADMIN, email="ava.admin@contoso.example"
    )
    sales = d["sales_agent"] = factories.partner_user(
        contoso, Role.SALES_AGENT, email="sara.sales@contoso.example"
    )
    helpdesk = d["helpdesk_agent"] = factories.partner_user(
        contoso, Role.HELPDESK_AGENT, email="hugo.helpdesk@contoso.example"
    )
    # A customer with admin privileges, subscriptions, users and licenses.
    adatum = d["adatum"] = factories.CustomerFactory(
        name="Adatum Corporation", domain="adatum.example"
    )
    d["customer_admin"] = factories.customer_admin(adatum, email="admin@adatum.example")
    for offer, status in [
        ("Microsoft 365 E3", Subscription.Status.ACTIVE),
        ("Azure plan", Subscription.Status.ACTIVE),
        ("Exchange Online (Plan 1)", Subscription.Status.ACTIVE),
        ("Visio Plan 2", Subscription.Status.CANCELLED),
    ]:
        factories.SubscriptionFactory(
            customer=adatum, offer_name=offer, status=status, provisioned_by=contoso
        )
    for name in ["Alex Wilber", "Megan Bowen", "Nestor Wilke"]:
        factories.DirectoryUserFactory(
            customer=adatum,
            display_name=name,
            email=f"{name.split()[0].lower()}@adatum.example",
        )
    factories.LicenseFactory(customer=adatum, product="Microsoft 365 E3")
    factories.LicenseFactory(
        customer=adatum, product="Exchange Online (Plan 1)", assigned=10, total=10
    )
    rel = d["relationship"] = factories.RelationshipFactory(
        partner=contoso, customer=adatum, dap_active=True
    )
    factories.SupportContactFactory(relationship=rel, user=helpdesk, is_primary=True)
    factories.RelationshipEventFactory(
        partner=contoso, customer=adatum, relationship=rel
    )
    # A reseller-only customer, and one whose relationship ended.
    litware = factories.CustomerFactory(name="Litware", domain="litware.example")
    factories.RelationshipFactory(partner=contoso, customer=litware, dap_active=False)
    ended = factories.CustomerFactory(name="Woodgrove Bank", domain="woodgrove.example")
    factories.RelationshipFactory(
        partner=contoso,
        customer=ended,
        dap_active=False,
        status=ResellerRelationship.Status.ENDED,
        ended_at=now - timedelta(days=3),
        ended_by=d["global_admin"],
        end_reason="Customer moved to another partner",
    )
    # Enough customers for a second page of Customers (25 a page).
    for _ in range(26):
        factories.RelationshipFactory(partner=contoso, dap_active=False)
    # Invitations in every status.
    d["pending"] = factories.InvitationFactory(
        partner=contoso, created_by=sales, recipient_email=LONG_EMAIL
    )
    d["legacy"] = factories.InvitationFactory(
        partner=contoso,
        created_by=d["global_admin"],
        recipient_email="legacy-2018@tailspin.example",
        sent_at=LEGACY_SENT,
        expires_at=now + timedelta(days=90),
    )
    factories.InvitationFactory(
        partner=contoso,
        created_by=sales,
        recipient_email="expired@tailspin.example",
        sent_at=now - timedelta(days=120),
        expires_at=now - timedelta(days=30),
        status=Status.EXPIRED,
    )
    d["revoked"] = factories.InvitationFactory(
        partner=contoso,
        created_by=d["global_admin"],
        recipient_email="revoked@tailspin.example",
        status=Status.REVOKED,
        revoked_at=now,
    )
    factories.InvitationFactory(
        partner=contoso,
        created_by=sales,
        recipient_email="declined@litware.example",
        status=Status.DECLINED,
        responded_at=now,
        customer=litware,
    )
    factories.InvitationFactory(
        partner=contoso,
        created_by=sales,
        recipient_email="admin@adatum.example",
        status=Status.ACCEPTED,
        responded_at=now,
        responded_by=d["customer_admin"],
        customer=adatum,
        relationship=rel,
    )
    # R22: the pending request was sent from the portal and the server refused
    # it (the longest status a draft and a row show); a bulk request made it.
    d["pending"].last_email = factories.OutgoingEmailFactory(
        to=LONG_EMAIL,
        notification=None,
        status="failed",
        attempts=1,
        last_error="SMTP 550 5.1.1 <" + LONG_EMAIL + ">: Recipient address rejected",
    )
    d["pending"].save(update_fields=["last_email"])
    d["bulk"] = BulkRequest.objects.create(partner=contoso, created_by=sales, total=1)
    d["bulk"].invitations.add(d["pending"])
    # A service request with a staff note, and notifications.
    d["service_request"] = factories.ServiceRequestFactory(
        partner=contoso,
        customer=adatum,
        opened_by=helpdesk,
        status=ServiceRequest.Status.IN_PROGRESS,
        staff_note="We are looking at the mail flow rules.",
    )
    for user in (d["global_admin"], sales, helpdesk):
        factories.NotificationFactory(recipient=user)
        factories.NotificationFactory(recipient=user, read_at=now)
    _gdap_data(d, now)
    _activity_data(d, now)
    return d


def _activity_data(d, now):
    """Issue 16: events of each source of the activity log (R41), one of them
    with a long details text."""
    from gdap.models import GdapEvent
    from partners.models import PartnerUserEvent

    GdapEvent.objects.create(
        partner=d["partner"],
        customer=d["adatum"],
        relationship=d["admin_relationship"],
        kind=GdapEvent.Kind.APPROVED,
        actor=d["customer_admin"],
        at=now - timedelta(days=60),
    )
    PartnerUserEvent.objects.create(
        partner=d["partner"],
        actor=d["global_admin"],
        subject=d["sales_agent"],
        kind=PartnerUserEvent.Kind.ADDED,
        details={"email": d["sales_agent"].email},
        at=now - timedelta(days=90),
    )


def _gdap_data(d, now):
    """Issue 15 (DESIGN 8.8 in small): an active admin relationship assigned to a
    group, one expiring with Global Administrator and no group, one pending."""
    contoso, ava = d["partner"], d["global_admin"]
    team = d["group"] = factories.security_group(
        contoso, d["helpdesk_agent"], name="Helpdesk team"
    )
    factories.security_group(contoso, ava, name="Admin agents")
    active = d["admin_relationship"] = factories.admin_relationship(
        contoso,
        d["adatum"],
        name="Adatum helpdesk",
        approved_at=now - timedelta(days=60),
        created_by=ava,
    )
    factories.assignment(active, team)
    d["admin_relationship_ga"] = factories.admin_relationship(
        contoso,
        d["adatum"],
        name="Adatum global administration, temporary",
        roles=("global_administrator", "license_administrator"),
        ends_at=now + timedelta(days=10),
        created_by=ava,
    )
    d["admin_relationship_pending"] = factories.admin_relationship(
        contoso, name="Tailspin helpdesk", status="approval_pending", created_by=ava
    )


def _staff(d):
    User = factories.UserFactory._meta.model
    support = factories.UserFactory(email="support@portal.example", is_staff=True)
    apps = {"core", "partners", "customers", "invitations"}
    # As the "Support staff" group (invitations/migrations/0002): view everything
    # of the portal's apps, change invitations, relationships, service requests.
    # (The group itself is gone from a flushed transactional test database.)
    changed = ["invitation", "resellerrelationship", "servicerequest", "notification"]
    support.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=apps, codename__startswith="view_"
        )
        | Permission.objects.filter(
            content_type__app_label__in=apps,
            codename__in=[f"change_{model}" for model in changed],
        )
    )
    root = User.objects.create_superuser(
        username="root@portal.example",
        email="root@portal.example",
        password=factories.PASSWORD,
    )
    return support, root


# The change pages that differ (own forms, inlines, read-only fields, actions);
# the others are Django's plain form. Keeps the browser test within its time.
SUPPORT_PAGES = {
    "invitations.Invitation",
    "customers.ResellerRelationship",
    "customers.ServiceRequest",
}
SUPERUSER_CHANGE_PAGES = SUPPORT_PAGES | {
    "auth.User",
    "customers.Customer",
    "customers.Subscription",
    "partners.Partner",
    "partners.PartnerMembership",
    "core.Notification",
}


def _admin_pages(visitor, user, *, models=None, change_pages=None):
    """The admin index, each changelist the user may see (of ``models`` if given),
    and one change page of each model; those not in ``change_pages`` (if given)
    only for the HTML checker."""
    visitor.add("admin index", reverse("admin:index"))
    for model, model_admin in sorted(
        admin.site._registry.items(), key=lambda item: item[0]._meta.label
    ):
        opts = model._meta
        if not (user.is_superuser or model_admin.has_view_permission(_Req(user))):
            continue
        if models is not None and opts.label not in models:
            continue
        base = f"admin:{opts.app_label}_{opts.model_name}"
        visitor.add(f"admin {opts.label} list", reverse(f"{base}_changelist"))
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            visitor.add(
                f"admin {opts.label} change",
                reverse(f"{base}_change", args=[obj.pk]),
                in_browser=change_pages is None or opts.label in change_pages,
            )


class _Req:
    """Just enough of a request for ModelAdmin.has_view_permission."""

    def __init__(self, user):
        self.user = user


def _partner_pages(d):
    adatum, rel, sr = d["adatum"], d["relationship"], d["service_request"]
    pending = d["pending"]
    common = [
        ("Overview", "/overview/"),
        ("Customers", "/customers/"),
        ("Customers page 2", "/customers/?page=2"),
        ("Customer detail", f"/customers/{adatum.pk}/"),
        ("Notifications", "/notifications/"),
        # Issue 14: everyone's own account pages.
        ("My account", "/account/"),
        ("Change password", "/account/password/"),
        ("Two-step verification", "/account/two-step/"),
        ("API tokens", "/account/tokens/"),
        # Issue 16: the activity log (R41), each role its sources.
        ("Activity log", "/activity/"),
        ("Activity log, bad filter (400)", "/activity/?from=2026-13-45", 400),
    ]
    sales_user = d["sales_agent"].pk
    people = [
        ("Users", "/partner/users/"),
        ("Add user", "/partner/users/add/"),
        ("User roles", f"/partner/users/{sales_user}/roles/"),
        ("Remove user confirm", f"/partner/users/{sales_user}/remove/"),
    ]
    admin_only = (
        [
            ("Request form", "/invitations/new/"),
            ("Email draft", f"/invitations/{pending.pk}/email/"),
            ("Relationship requests", "/invitations/"),
            ("Request in bulk", "/invitations/bulk/"),
            ("Bulk progress", f"/invitations/bulk/{d['bulk'].pk}/"),
            ("Revoke confirm", f"/invitations/{pending.pk}/revoke/"),
            ("New-link confirm", f"/invitations/{pending.pk}/new-link/"),
            ("Service request form", f"/customers/{adatum.pk}/service-requests/new/"),
            ("Support contacts", f"/customers/{adatum.pk}/support-contacts/"),
            ("End relationship", f"/customers/{adatum.pk}/end/"),
            ("Service requests", "/service-requests/"),
            ("Service request detail", f"/service-requests/{sr.pk}/"),
            ("Another partner's customer (404)", "/customers/999999/", 404),
        ]
        + people
        + _gdap_pages(d)
        + _webhook_pages(d)
    )
    sales = [
        ("Request form", "/invitations/new/"),
        ("Email draft", f"/invitations/{pending.pk}/email/"),
        ("Relationship requests", "/invitations/"),
        ("Request in bulk", "/invitations/bulk/"),
        ("Revoke confirm", f"/invitations/{pending.pk}/revoke/"),
        ("New-link confirm", f"/invitations/{pending.pk}/new-link/"),
        ("Refused (403)", f"/customers/{adatum.pk}/service-requests/new/", 403),
        ("Users refused (403)", "/partner/users/", 403),
        ("Admin relationships refused (403)", "/admin-relationships/", 403),
        ("Webhooks refused (403)", "/webhooks/", 403),
    ]
    helpdesk = [
        ("Service request form", f"/customers/{adatum.pk}/service-requests/new/"),
        ("Service requests", "/service-requests/"),
        ("Service request detail", f"/service-requests/{sr.pk}/"),
        ("Refused (403)", "/invitations/", 403),
    ]
    del rel
    return {
        "global_admin": common + admin_only,
        "sales_agent": common + sales,
        "helpdesk_agent": common + helpdesk,
    }


def _webhook_pages(d):
    """R40: the Webhooks pages, with one endpoint and a delivery of it."""
    from api.models import WebhookEndpoint
    from api.webhooks import secret_encrypt, send_test_event

    endpoint = WebhookEndpoint.objects.create(
        partner=d["partner"],
        url="https://hooks.contoso.example/portal",
        description="CRM",
        events=["service-request-updated", "granular-admin-relationship-approved"],
        secret_encrypted=secret_encrypt("whsec_demo"),
        created_by=d["global_admin"],
    )
    send_test_event(endpoint=endpoint)
    one = f"/webhooks/{endpoint.pk}/"
    return [
        ("Webhooks", "/webhooks/"),
        ("Add webhook endpoint", "/webhooks/new/"),
        ("Webhook endpoint", one),
        ("Edit webhook endpoint", one + "edit/"),
        ("Delete webhook endpoint confirm", one + "delete/"),
    ]


def _gdap_pages(d):
    """Issue 15: the partner's pages of admin relationships and security groups."""
    active = d["admin_relationship"].pk
    ga = d["admin_relationship_ga"].pk
    pending = d["admin_relationship_pending"]
    group = d["group"].pk
    return [
        ("Admin relationships", "/admin-relationships/"),
        ("Admin relationships expiring", "/admin-relationships/?status=expiring"),
        ("Request admin relationship", "/admin-relationships/new/"),
        ("Admin relationship", f"/admin-relationships/{active}/"),
        ("Admin relationship, Global Administrator", f"/admin-relationships/{ga}/"),
        ("Admin relationship, pending", f"/admin-relationships/{pending.pk}/"),
        (
            "Admin relationship draft",
            f"/invitations/{pending.invitation_id}/email/",
        ),
        ("Terminate confirm", f"/admin-relationships/{active}/terminate/"),
        (
            "Remove Global Administrator confirm",
            f"/admin-relationships/{ga}/remove-global-administrator/",
        ),
        ("Security groups", "/security-groups/"),
        ("Security group", f"/security-groups/{group}/"),
        ("Delete security group confirm", f"/security-groups/{group}/delete/"),
    ]


def build() -> dict:
    """Make the data; return {visitor key: Visitor} in the order of VISITORS."""
    d = _data()
    support, root = _staff(d)
    visitors = {key: Visitor(key, d.get(key)) for key in VISITORS}
    visitors["support_staff"].user = support
    visitors["superuser"].user = root

    anonymous = visitors["anonymous"]
    # First, before any link puts an invitation in the session.
    anonymous.add("Link not in session (404)", "/portals/store/session/", 404)
    anonymous.add("Sign in", "/accounts/login/")
    anonymous.add("Office experience (link)", _link(d["legacy"]))
    anonymous.add("Store experience (link)", _link(d["pending"]))
    anonymous.add("Link gone (revoked, 410)", _link(d["revoked"]), 410)
    anonymous.add("Link invalid (404)", "/invitations/accept/1-" + "0" * 40 + "/", 404)
    anonymous.add("Page not found (404)", "/no-such-page/", 404)
    anonymous.add("Forgot password", "/accounts/password-reset/")
    anonymous.add("Password reset sent", "/accounts/password-reset/done/")
    anonymous.add("Password reset link invalid", "/accounts/password-reset/MQ/x-y/")
    anonymous.add("Password set", "/accounts/password-reset/complete/")

    for key, pages in _partner_pages(d).items():
        for page in pages:
            visitors[key].add(*page)

    customer = visitors["customer_admin"]
    rel, sr = d["relationship"], d["service_request"]
    customer.add("Partner relationships", "/customer/partners/")
    customer.add(
        "Remove admin privileges confirm",
        f"/customer/partners/{rel.pk}/remove-admin-privileges/",
    )
    customer.add("End relationship confirm", f"/customer/partners/{rel.pk}/end/")
    customer.add("Customer service requests", "/customer/service-requests/")
    customer.add("Customer activity log", "/customer/activity/")
    customer.add(
        "Customer service request detail", f"/customer/service-requests/{sr.pk}/"
    )
    customer.add("Office experience, signed in", _link(d["legacy"]))
    customer.add("Store experience, signed in", _link(d["pending"]))
    customer.add("Refused (partner page)", "/customers/", 403)
    customer.add("Sign out confirm", "/accounts/logout/")
    customer.add("My account (customer)", "/account/")
    customer.add("Two-step verification (customer)", "/account/two-step/")

    _admin_pages(
        visitors["support_staff"],
        support,
        models=SUPPORT_PAGES,
        change_pages=SUPPORT_PAGES,
    )
    _admin_pages(visitors["superuser"], root, change_pages=SUPERUSER_CHANGE_PAGES)
    return visitors
