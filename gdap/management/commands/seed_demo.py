"""Demo data of DESIGN.md section 6 and 8.8. Idempotent: running it twice
changes nothing.

It lives in ``gdap``, the top layer, because the demo spans every app: partners
and their people, customers, reseller relationships and requests, and admin
relationships with security groups (8.8).
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from customers.models import (
    Customer,
    CustomerMembership,
    DirectoryUser,
    License,
    RelationshipEvent,
    ResellerRelationship,
    ServiceRequest,
    Subscription,
    SupportContact,
)
from customers.services import (
    relationship_grant,
    service_request_open,
    service_request_update,
)
from gdap import services as gdap_services
from gdap.models import (
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipRole,
    GdapEvent,
    SecurityGroup,
)
from invitations import tokens
from invitations.models import Invitation
from invitations.services import invitation_create, invitation_send_email
from partners.models import Cloud, MembershipRole, Partner, PartnerMembership, Role
from partners.two_step_services import DEMO_TOTP_SECRET, demo_devices_enrol

PASSWORD = "demo-password"  # noqa: S105 - the published demo password
SUPPORT_GROUP = "Support staff"
# DESIGN 8.8: the admin relationship waiting for Tailspin's approval.
TAILSPIN_REQUEST = "Tailspin support"
HELPDESK_ADMINISTRATOR = "helpdesk_administrator"
USER_ADMINISTRATOR = "user_administrator"
LICENSE_ADMINISTRATOR = "license_administrator"

PARTNER_USERS = [
    ("ava.admin@contoso.example", "Ava", "Admin", "contoso", [Role.GLOBAL_ADMIN]),
    ("adam.agent@contoso.example", "Adam", "Agent", "contoso", [Role.ADMIN_AGENT]),
    ("sara.sales@contoso.example", "Sara", "Sales", "contoso", [Role.SALES_AGENT]),
    (
        "hugo.helpdesk@contoso.example",
        "Hugo",
        "Helpdesk",
        "contoso",
        [Role.HELPDESK_AGENT],
    ),
    (
        "bill.billing@contoso.example",
        "Bill",
        "Billing",
        "contoso",
        [Role.BILLING_ADMIN],
    ),
    (
        "uma.users@contoso.example",
        "Uma",
        "Users",
        "contoso",
        [Role.USER_MANAGEMENT_ADMIN],
    ),
    ("admin@fabrikam.example", "Frida", "Fabrikam", "fabrikam", [Role.ADMIN_AGENT]),
    ("admin@northwind.example", "Nora", "Northwind", "northwind", [Role.ADMIN_AGENT]),
]
# DESIGN.md 8.8: "Fabrikam's admin prefers German" (pages and emails, R19).
PREFERRED_LANGUAGES = {"admin@fabrikam.example": "de"}
# DESIGN 8.8 / R28: the people whose role requires two-step verification sign in
# with a code of the demo authenticator (the same secret for all of them).
TWO_STEP_PEOPLE = [
    "ava.admin@contoso.example",
    "adam.agent@contoso.example",
    "uma.users@contoso.example",
    "admin@fabrikam.example",
    "admin@northwind.example",
    "support@portal.example",
    "root@portal.example",
]
CUSTOMER_ADMINS = [
    ("admin@adatum.example", "adatum"),
    ("admin@litware.example", "litware"),
    ("admin@tailspin.example", "tailspin"),
    ("admin@wingtip.example", "wingtip"),
]


class Command(BaseCommand):
    help = "Create the demo partners, customers, invitations and sign-ins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            default=0,
            help="Add N generated customers to Contoso.",
        )
        parser.add_argument(
            "--force", action="store_true", help="Allow seeding when DEBUG is off."
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to seed demo data with DEBUG off "
                "(demo passwords are public). "
                "Use --force if you really mean it."
            )
        with transaction.atomic():
            self.users = {}
            partners = self._partners()
            customers = self._customers(partners)
            self._relationships(partners, customers)
            self._invitations(partners, customers)
            self._staff()
            self._second_factors()
            self._service_requests(partners, customers)
            self._admin_relationships(partners, customers)
        if options["customers"]:
            added = generate_customers(partners["contoso"], options["customers"])
            self.stdout.write(f"Added {added} generated customers to Contoso.")
        self._print_summary()

    # --- people -------------------------------------------------------------------
    def _user(self, email, first="", last="", **extra):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=email,
            defaults={"email": email, "first_name": first, "last_name": last, **extra},
        )
        if created:
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
        self.users[email] = user
        return user

    def _partners(self):
        partners = {
            "contoso": Partner.objects.get_or_create(
                name="Contoso Cloud Partners",
                defaults={"country": "FR", "cloud": Cloud.PUBLIC},
            )[0],
            "fabrikam": Partner.objects.get_or_create(
                name="Fabrikam Deutschland",
                defaults={"country": "DE", "cloud": Cloud.GERMANY},
            )[0],
            "northwind": Partner.objects.get_or_create(
                name="Northwind Federal",
                defaults={"country": "US", "cloud": Cloud.USGOV},
            )[0],
        }
        for email, first, last, key, roles in PARTNER_USERS:
            user = self._user(email, first, last)
            membership, _ = PartnerMembership.objects.get_or_create(
                user=user, defaults={"partner": partners[key]}
            )
            language = PREFERRED_LANGUAGES.get(email, "")
            if language and not membership.language:
                # Only when unset: a language the person chose since is kept.
                membership.language = language
                membership.save(update_fields=["language"])
            for role in roles:
                MembershipRole.objects.get_or_create(membership=membership, role=role)
        return partners

    def _customers(self, partners):
        def customer(key, name, country):
            return Customer.objects.get_or_create(
                domain=f"{key}.example",
                defaults={"name": name, "country": country, "cloud": Cloud.PUBLIC},
            )[0]

        customers = {
            "adatum": customer("adatum", "Adatum", "FR"),
            "litware": customer("litware", "Litware", "FR"),
            "tailspin": customer("tailspin", "Tailspin", "FR"),
            "wingtip": customer("wingtip", "Wingtip", "US"),
        }
        for email, key in CUSTOMER_ADMINS:
            user = self._user(email, customers[key].name, "Admin")
            CustomerMembership.objects.get_or_create(
                user=user, defaults={"customer": customers[key], "is_admin": True}
            )
        adatum, litware = customers["adatum"], customers["litware"]
        contoso = partners["contoso"]
        if not adatum.subscriptions.exists():
            Subscription.objects.bulk_create(
                [
                    Subscription(
                        customer=adatum,
                        offer_name="Microsoft 365 E3",
                        quantity=50,
                        provisioned_by=contoso,
                    ),
                    Subscription(
                        customer=adatum,
                        offer_name="Azure plan",
                        quantity=1,
                        provisioned_by=contoso,
                    ),
                    Subscription(
                        customer=adatum,
                        offer_name="Exchange Online (Plan 1)",
                        quantity=10,
                        provisioned_by=None,
                    ),
                    Subscription(
                        customer=adatum,
                        offer_name="Visio Plan 2",
                        quantity=5,
                        provisioned_by=contoso,
                        status=Subscription.Status.CANCELLED,
                    ),
                ]
            )
            DirectoryUser.objects.bulk_create(
                DirectoryUser(
                    customer=adatum,
                    display_name=name,
                    email=f"{name.split()[0].lower()}@adatum.example",
                )
                for name in [
                    "Alex Wilber",
                    "Megan Bowen",
                    "Nestor Wilke",
                    "Lidia Holloway",
                    "Joni Sherman",
                ]
            )
            License.objects.bulk_create(
                [
                    License(
                        customer=adatum,
                        product="Microsoft 365 E3",
                        assigned=42,
                        total=50,
                    ),
                    License(
                        customer=adatum,
                        product="Exchange Online (Plan 1)",
                        assigned=10,
                        total=10,
                    ),
                ]
            )
        if not litware.subscriptions.exists():
            Subscription.objects.bulk_create(
                [
                    Subscription(
                        customer=litware,
                        offer_name="Microsoft 365 Business Basic",
                        quantity=20,
                        provisioned_by=contoso,
                    ),
                    Subscription(
                        customer=litware,
                        offer_name="Dynamics 365 Sales",
                        quantity=3,
                        provisioned_by=None,
                    ),
                ]
            )
            DirectoryUser.objects.bulk_create(
                DirectoryUser(
                    customer=litware,
                    display_name=name,
                    email=f"{name.split()[0].lower()}@litware.example",
                )
                for name in ["Lee Gu", "Diego Siciliani"]
            )
            License.objects.create(
                customer=litware,
                product="Microsoft 365 Business Basic",
                assigned=18,
                total=20,
            )
        return customers

    def _relationships(self, partners, customers):
        contoso = partners["contoso"]
        actor_adatum = self.users["admin@adatum.example"]
        actor_litware = self.users["admin@litware.example"]
        if not ResellerRelationship.objects.filter(
            partner=contoso, customer=customers["adatum"]
        ).exists():
            rel = relationship_grant(
                partner=contoso,
                customer=customers["adatum"],
                dap=True,
                actor=actor_adatum,
            )
            SupportContact.objects.create(
                relationship=rel,
                user=self.users["adam.agent@contoso.example"],
                is_primary=True,
            )
            SupportContact.objects.create(
                relationship=rel, user=self.users["hugo.helpdesk@contoso.example"]
            )
            RelationshipEvent.objects.create(
                kind=RelationshipEvent.Kind.SUPPORT_CONTACTS_CHANGED,
                partner=contoso,
                customer=customers["adatum"],
                relationship=rel,
                actor=self.users["ava.admin@contoso.example"],
                created_at=timezone.now(),
            )
        if not ResellerRelationship.objects.filter(
            partner=contoso, customer=customers["litware"]
        ).exists():
            relationship_grant(
                partner=contoso,
                customer=customers["litware"],
                dap=False,
                actor=actor_litware,
            )

    def _service_requests(self, partners, customers):
        """One service request for Adatum that support has taken on (R44), so the
        Service requests pages, the Overview and the bell have something to show."""
        contoso = partners["contoso"]
        title = "Users cannot open their mailboxes"
        if ServiceRequest.objects.filter(partner=contoso, title=title).exists():
            return
        relationship = ResellerRelationship.objects.get(
            partner=contoso, customer=customers["adatum"]
        )
        request = service_request_open(
            relationship_id=relationship.pk,
            actor=self.users["hugo.helpdesk@contoso.example"],
            title=title,
            description="Since this morning, three users of Adatum get an error "
            "when they open Outlook.",
            severity=ServiceRequest.Severity.HIGH,
        )
        service_request_update(
            service_request_id=request.pk,
            actor=self.users["support@portal.example"],
            status=ServiceRequest.Status.IN_PROGRESS,
            staff_note="We are checking the mailbox settings and will update you "
            "within the day.",
            assign_to_actor=True,
        )

    def _invitations(self, partners, customers):
        contoso, fabrikam = partners["contoso"], partners["fabrikam"]
        ava = self.users["ava.admin@contoso.example"]
        sara = self.users["sara.sales@contoso.example"]
        now = timezone.now()

        def demo(key, partner, creator, email_language="en", **fields):
            existing = Invitation.objects.filter(
                partner=partner, recipient_email=key, kind=Invitation.Kind.RESELLER
            ).first()
            if existing:
                return existing
            invitation = invitation_create(
                partner=partner,
                created_by=creator,
                include_dap=True,
                recipient_email=key,
                email_language=email_language,
            )
            if fields:
                for name, value in fields.items():
                    setattr(invitation, name, value)
                invitation.save(update_fields=list(fields))
            return invitation

        tailspin = demo("admin@tailspin.example", contoso, sara)
        if tailspin.last_email_id is None:
            # R22: sent from the portal; `make run`'s worker delivers it (to the
            # console) within seconds, and the draft and list then say Sent.
            invitation_send_email(
                invitation_id=tailspin.pk, actor=sara, to="admin@tailspin.example"
            )
        demo(
            "legacy-2018@tailspin.example",
            contoso,
            ava,
            sent_at=datetime(2018, 10, 15, 9, 0, tzinfo=UTC),
            expires_at=now + timedelta(days=90),
        )
        demo(
            "it@fabrikam-customer.example",
            fabrikam,
            self.users["admin@fabrikam.example"],
            # Fabrikam writes to its customers in German; its page opens in German.
            email_language="de",
        )
        demo(
            "expired@tailspin.example",
            contoso,
            sara,
            sent_at=now - timedelta(days=120),
            expires_at=now - timedelta(days=30),
            status=Invitation.Status.EXPIRED,
        )
        demo(
            "revoked@tailspin.example",
            contoso,
            ava,
            status=Invitation.Status.REVOKED,
            revoked_at=now,
        )

    # --- admin relationships (DESIGN 8.8) -----------------------------------------

    def _admin_relationships(self, partners, customers):
        """Contoso's security groups, an active and an expiring admin relationship
        assigned to them, and one approval pending for Tailspin (its link printed)."""
        contoso = partners["contoso"]
        ava = self.users["ava.admin@contoso.example"]
        users = self.users
        helpdesk = self._group(
            contoso, "Helpdesk team", [users["hugo.helpdesk@contoso.example"]], ava
        )
        agents = self._group(
            contoso,
            "Admin agents",
            [users["adam.agent@contoso.example"], ava],
            ava,
        )
        now = timezone.now()
        adatum = self._approved_relationship(
            contoso,
            customers["adatum"],
            name="Adatum helpdesk",
            roles=[HELPDESK_ADMINISTRATOR, USER_ADMINISTRATOR],
            duration_days=730,
            approved_at=now - timedelta(days=60),
            requested_by=ava,
            approved_by=users["admin@adatum.example"],
        )
        self._assign(adatum, helpdesk, ava)
        # Expiring: approved 80 of its 90 days ago, so it ends in 10 days.
        litware = self._approved_relationship(
            contoso,
            customers["litware"],
            name="Litware licenses",
            roles=[LICENSE_ADMINISTRATOR],
            duration_days=90,
            approved_at=now - timedelta(days=80),
            requested_by=ava,
            approved_by=users["admin@litware.example"],
        )
        self._assign(litware, agents, ava)
        if not AdminRelationship.objects.filter(
            partner=contoso, name__iexact=TAILSPIN_REQUEST
        ).exists():
            # The browser test requests "Tailspin helpdesk" itself; this one is
            # the request waiting for Tailspin's administrator.
            gdap_services.admin_relationship_request(
                partner=contoso,
                created_by=ava,
                name=TAILSPIN_REQUEST,
                roles=[HELPDESK_ADMINISTRATOR],
                duration_days=365,
                recipient_email="admin@tailspin.example",
            )

    def _group(self, partner, name, members, actor):
        group = SecurityGroup.objects.filter(partner=partner, name__iexact=name).first()
        if group is not None:
            return group
        return gdap_services.group_create(
            partner=partner,
            name=name,
            member_ids=[user.pk for user in members],
            actor=actor,
        )

    def _approved_relationship(
        self,
        partner,
        customer,
        *,
        name,
        roles,
        duration_days,
        approved_at,
        requested_by,
        approved_by,
    ):
        """An admin relationship requested a day before ``approved_at`` and
        approved then: the rows and events the services would have written, with
        those dates (the services write "now"). Its reminders and end are queued."""
        existing = AdminRelationship.objects.filter(
            partner=partner, name__iexact=name
        ).first()
        if existing is not None:
            return existing
        requested_at = approved_at - timedelta(days=1)
        subject, body = gdap_services.draft_render(
            partner=partner,
            relationship_name=name,
            roles=roles,
            duration_days=duration_days,
            auto_extend=False,
            language="en",
        )
        admin_email = approved_by.email
        invitation = Invitation.objects.create(
            partner=partner,
            created_by=requested_by,
            kind=Invitation.Kind.ADMIN_RELATIONSHIP,
            include_dap=False,
            recipient_email=admin_email,
            email_language="en",
            subject=subject,
            body=body,
            sent_at=requested_at,
            expires_at=requested_at + timedelta(days=settings.INVITATION_TTL_DAYS),
            customer=customer,
            status=Invitation.Status.ACCEPTED,
            responded_by=approved_by,
            responded_at=approved_at,
        )
        relationship = AdminRelationship.objects.create(
            partner=partner,
            customer=customer,
            invitation=invitation,
            name=name,
            duration_days=duration_days,
            status=AdminRelationship.Status.ACTIVE,
            created_by=requested_by,
            created_at=requested_at,
            approved_by=approved_by,
            approved_at=approved_at,
            ends_at=approved_at + timedelta(days=duration_days),
        )
        AdminRelationshipRole.objects.bulk_create(
            AdminRelationshipRole(relationship=relationship, role=code)
            for code in roles
        )
        Kind = GdapEvent.Kind
        GdapEvent.objects.create(
            kind=Kind.REQUESTED,
            partner=partner,
            customer=customer,
            relationship=relationship,
            actor=requested_by,
            at=requested_at,
            details={
                "name": name,
                "roles": roles,
                "duration_days": duration_days,
                "auto_extend": False,
            },
        )
        GdapEvent.objects.create(
            kind=Kind.APPROVED,
            partner=partner,
            customer=customer,
            relationship=relationship,
            actor=approved_by,
            at=approved_at,
            details={"ends_at": relationship.ends_at.isoformat()},
        )
        transaction.on_commit(
            lambda: gdap_services.life_schedule(relationship_id=relationship.pk)
        )
        return relationship

    def _assign(self, relationship, group, actor):
        if AccessAssignment.objects.filter(
            relationship=relationship, group=group
        ).exists():
            return
        gdap_services.assignment_save(
            relationship_id=relationship.pk,
            group_id=group.pk,
            roles=list(relationship.roles.values_list("role", flat=True)),
            actor=actor,
        )

    def _staff(self):
        group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
        support = self._user("support@portal.example", "Sam", "Support", is_staff=True)
        support.groups.add(group)
        self._user(
            "root@portal.example", "Root", "Admin", is_staff=True, is_superuser=True
        )

    def _second_factors(self):
        for email in TWO_STEP_PEOPLE:
            demo_devices_enrol(user=self.users[email], secret=DEMO_TOTP_SECRET)

    def _print_summary(self):
        w = self.stdout.write
        w("")
        w(self.style.SUCCESS("Demo sign-ins (password for everyone: demo-password)"))
        rows = [
            ("ava.admin@contoso.example", "Contoso Cloud Partners", "Global admin"),
            ("adam.agent@contoso.example", "Contoso Cloud Partners", "Admin agent"),
            ("sara.sales@contoso.example", "Contoso Cloud Partners", "Sales agent"),
            (
                "hugo.helpdesk@contoso.example",
                "Contoso Cloud Partners",
                "Helpdesk agent",
            ),
            ("bill.billing@contoso.example", "Contoso Cloud Partners", "Billing admin"),
            (
                "uma.users@contoso.example",
                "Contoso Cloud Partners",
                "User management admin",
            ),
            ("admin@fabrikam.example", "Fabrikam Deutschland", "Admin agent"),
            ("admin@northwind.example", "Northwind Federal", "Admin agent"),
            ("admin@adatum.example", "Adatum (customer)", "Administrator"),
            ("admin@litware.example", "Litware (customer)", "Administrator"),
            ("admin@tailspin.example", "Tailspin (customer)", "Administrator"),
            ("admin@wingtip.example", "Wingtip (customer, US)", "Administrator"),
            ("support@portal.example", "Support staff (/admin/)", "Staff"),
            ("root@portal.example", "Superuser (/admin/)", "Superuser"),
        ]
        for email, org, role in rows:
            code = "  + code" if email in TWO_STEP_PEOPLE else ""
            w(f"  {email:<32} {org:<28} {role}{code}")
        w("")
        w(
            self.style.SUCCESS(
                "Two-step verification: those marked '+ code' also enter a code"
            )
        )
        w(f"  authenticator secret (base32, TOTP, 30 s, 6 digits): {DEMO_TOTP_SECRET}")
        w("  the current code: python manage.py demo_code EMAIL")
        w("")
        w(self.style.SUCCESS("Pending demo invitation links"))
        pending = (
            Invitation.objects.filter(
                kind=Invitation.Kind.RESELLER,
                status=Invitation.Status.PENDING,
                recipient_email__in=[
                    "admin@tailspin.example",
                    "legacy-2018@tailspin.example",
                    "it@fabrikam-customer.example",
                ],
            )
            .select_related("partner")
            .order_by("id")
        )
        for invitation in pending:
            w(
                f"  {invitation.partner.name}, sent {invitation.sent_at:%Y-%m-%d}: "
                f"{tokens.link_for(invitation)}"
            )
        w("")
        w(self.style.SUCCESS("Pending demo admin relationship approval links"))
        requests = AdminRelationship.objects.filter(
            name=TAILSPIN_REQUEST,
            partner__name="Contoso Cloud Partners",
            status=AdminRelationship.Status.APPROVAL_PENDING,
            invitation__status=Invitation.Status.PENDING,
        ).select_related("partner", "invitation")
        for relationship in requests:
            w(
                f"  {relationship.partner.name}, “{relationship.name}” for "
                f"{relationship.invitation.recipient_email}: "
                f"{tokens.link_for(relationship.invitation)}"
            )
        w("")


OFFERS = [
    "Microsoft 365 E3",
    "Azure plan",
    "Exchange Online (Plan 1)",
    "Teams Essentials",
]


def generate_customers(partner: Partner, count: int, batch: int = 1000) -> int:
    """Add ``count`` customers with relationships, subscriptions, users and licenses."""
    now = timezone.now()
    start = Customer.objects.filter(domain__startswith="gen-").count()
    made = 0
    while made < count:
        size = min(batch, count - made)
        with transaction.atomic():
            customers = Customer.objects.bulk_create(
                Customer(
                    name=f"Generated Customer {start + made + i:05d}",
                    domain=f"gen-{start + made + i:05d}.example",
                    country=partner.country,
                    cloud=partner.cloud,
                )
                for i in range(size)
            )
            ResellerRelationship.objects.bulk_create(
                ResellerRelationship(
                    partner=partner,
                    customer=c,
                    dap_active=i % 5 != 0,
                    since=now - timedelta(days=i % 700),
                )
                for i, c in enumerate(customers)
            )
            Subscription.objects.bulk_create(
                Subscription(
                    customer=c,
                    offer_name=OFFERS[(i + k) % len(OFFERS)],
                    quantity=5 + k,
                    provisioned_by=partner if k == 0 else None,
                )
                for i, c in enumerate(customers)
                for k in range(2)
            )
            DirectoryUser.objects.bulk_create(
                DirectoryUser(
                    customer=c, display_name=f"User {k}", email=f"user{k}@{c.domain}"
                )
                for c in customers
                for k in range(3)
            )
            License.objects.bulk_create(
                License(customer=c, product=OFFERS[k], assigned=3, total=5)
                for c in customers
                for k in range(2)
            )
        made += size
    return made
