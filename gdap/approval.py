"""R32: the approval page of an admin relationship, on the acceptance pieces.

The link, its session, sign-in, sign-up, "signed in as", switch account and
the atomic, idempotent answer are the reseller acceptance's
(``invitations.views.experience``); this module gives them the admin
relationship's flow: its services, its eligibility and what the page shows.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from customers.role_catalogue import in_catalogue_order
from gdap import selectors, services
from gdap.models import AdminRelationship
from invitations.experiences import APPROVAL
from invitations.models import Invitation
from invitations.views import Flow, experience


def _context(visit) -> dict:
    relationship = (
        AdminRelationship.objects.select_related("customer")
        .prefetch_related("roles")
        .get(invitation_id=visit.invitation.pk)
    )
    now = timezone.now()
    ends_at = relationship.ends_at or relationship.end_if_approved(now)
    return {
        "relationship": relationship,
        "roles": in_catalogue_order(r.role for r in relationship.roles.all()),
        "ends_at": ends_at,
        "accept_label": _("Approve"),
    }


FLOW = Flow(
    kind=Invitation.Kind.ADMIN_RELATIONSHIP,
    accept=services.admin_relationship_approve,
    decline=services.admin_relationship_decline,
    eligibility=selectors.approval_eligibility,
    accepted_template="gdap/approved.html",
    context=_context,
)


@never_cache
@sensitive_post_parameters("password")
@sensitive_variables("token")
@require_http_methods(["GET", "POST"])
def approve(request, token):
    """R32: the link (checked, then kept in the session), then the page."""
    return experience(request, token, slug=APPROVAL.slug, flow=FLOW)
