"""R8: which acceptance experience a link opens, as data in one place.

Adding a cloud or an experience is one row here and one template.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from partners.models import Cloud


@dataclass(frozen=True)
class Experience:
    slug: str
    url_name: str
    template: str
    title: object


OFFICE = Experience(
    slug="office",
    url_name="invitations:office",
    template="portals/office.html",
    title=_("Office admin portal"),
)
STORE = Experience(
    slug="store",
    url_name="invitations:store",
    template="portals/store.html",
    title=_("Microsoft Store for Business"),
)
# R32: the approval of an admin relationship (gdap) uses the same pieces.
APPROVAL = Experience(
    slug="approval",
    url_name="gdap:approve",
    template="gdap/approve.html",
    title=_("Approve an admin relationship"),
)
EXPERIENCES = {e.slug: e for e in (OFFICE, STORE)}

BEFORE, AFTER = "before", "after"

# (cloud, sent before or on/after the cutover) -> experience
DISPATCH_TABLE: dict[tuple[str, str], Experience] = {
    (Cloud.PUBLIC, BEFORE): OFFICE,
    (Cloud.PUBLIC, AFTER): STORE,
    (Cloud.GERMANY, BEFORE): OFFICE,
    (Cloud.GERMANY, AFTER): OFFICE,
    (Cloud.USGOV, BEFORE): OFFICE,
    (Cloud.USGOV, AFTER): OFFICE,
}


def era_of(sent_at: datetime) -> str:
    """An invitation sent at or after the cutover instant is "after"."""
    return AFTER if sent_at >= settings.INVITATION_EXPERIENCE_CUTOVER else BEFORE


def experience_for(*, cloud: str, sent_at: datetime) -> Experience:
    return DISPATCH_TABLE[(cloud, era_of(sent_at))]


def experience_of(invitation) -> Experience:
    """The page a request's link opens: an admin relationship's approval page,
    else the reseller experience of the dispatch table (R8)."""
    if invitation.kind == "admin_relationship":
        return APPROVAL
    return experience_for(cloud=invitation.partner.cloud, sent_at=invitation.sent_at)
