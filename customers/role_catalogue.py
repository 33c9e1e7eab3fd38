"""The role catalogue of admin relationships (DESIGN 8.6): data, in one place.

Each role has its name (translated: English, French, German in the locale
files), what it allows in words, and what it opens on a customer's card (R34):
``users`` (the Users section) and ``licenses`` (the Licenses section). The
``gdap`` app stores role codes from here and nothing else; the card's access
rule (``customers.access``) reads ``users``/``licenses`` from here.

It lives in ``customers`` because the card (R11, R34) is customers' and sits
below ``gdap`` in the layers.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class AdminRole:
    code: str
    label: object
    allows: object
    users: bool = False
    licenses: bool = False


GLOBAL_ADMINISTRATOR = "global_administrator"

CATALOGUE: tuple[AdminRole, ...] = (
    AdminRole(
        "directory_readers",
        _("Directory Readers"),
        _("read users and groups"),
        users=True,
    ),
    AdminRole(
        "global_reader",
        _("Global Reader"),
        _("read everything, change nothing"),
        users=True,
        licenses=True,
    ),
    AdminRole(
        "helpdesk_administrator",
        _("Helpdesk Administrator"),
        _("reset passwords, open service requests"),
        users=True,
    ),
    AdminRole(
        "user_administrator",
        _("User Administrator"),
        _("manage users and groups"),
        users=True,
    ),
    AdminRole(
        "license_administrator",
        _("License Administrator"),
        _("assign licenses"),
        licenses=True,
    ),
    AdminRole(
        "service_support_administrator",
        _("Service Support Administrator"),
        _("open and manage service requests"),
    ),
    AdminRole("exchange_administrator", _("Exchange Administrator"), _("manage mail")),
    AdminRole(
        "sharepoint_administrator", _("SharePoint Administrator"), _("manage sites")
    ),
    AdminRole("teams_administrator", _("Teams Administrator"), _("manage Teams")),
    AdminRole("security_reader", _("Security Reader"), _("read security reports")),
    AdminRole(
        "billing_administrator",
        _("Billing Administrator"),
        _("manage billing"),
    ),
    AdminRole(
        GLOBAL_ADMINISTRATOR,
        _("Global Administrator"),
        _("everything"),
        users=True,
        licenses=True,
    ),
)

ROLES: dict[str, AdminRole] = {role.code: role for role in CATALOGUE}
CODES: tuple[str, ...] = tuple(ROLES)
CHOICES = [(role.code, role.label) for role in CATALOGUE]
USERS_ROLES = frozenset(r.code for r in CATALOGUE if r.users)
LICENSES_ROLES = frozenset(r.code for r in CATALOGUE if r.licenses)


def role_label(code: str) -> str:
    role = ROLES.get(code)
    return str(role.label) if role else code


def in_catalogue_order(codes) -> list[AdminRole]:
    """The roles of ``codes`` as catalogue entries, in the catalogue's order."""
    wanted = set(codes)
    return [role for role in CATALOGUE if role.code in wanted]
