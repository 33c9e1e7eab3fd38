"""R9/R7 in the services: acceptance and decline, called directly."""

import pytest
from django.db import connection

from core.exceptions import DomainError
from customers.models import ResellerRelationship
from invitations import services
from invitations.services import invitation_accept, invitation_renew_link
from tests import factories

pytestmark = pytest.mark.django_db


def test_accept_after_link_renewed_in_between_is_refused(partner, customer_admin):
    # R7: the link checked before the lock must still be current after it.
    invitation = factories.InvitationFactory(partner=partner)
    old_nonce = invitation.link_nonce
    invitation_renew_link(invitation_id=invitation.pk, actor=invitation.created_by)
    with pytest.raises(DomainError):
        invitation_accept(
            invitation_id=invitation.pk, admin_user=customer_admin, link_nonce=old_nonce
        )
    assert not ResellerRelationship.objects.exists()


@pytest.mark.parametrize("service", ["invitation_accept", "invitation_decline"])
def test_accept_and_decline_run_in_one_transaction(partner, customer_admin, service):
    # R9: the state change and its event commit together or not at all; the row
    # lock needs the transaction too. The test runs inside a transaction of its
    # own, so the service's write must happen one level deeper.
    invitation = factories.InvitationFactory(partner=partner)
    outer = len(connection.atomic_blocks)
    depth_at_write = []

    def watch(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and "invitations_invitation" in sql:
            depth_at_write.append(len(connection.atomic_blocks))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        getattr(services, service)(
            invitation_id=invitation.pk, admin_user=customer_admin
        )
    assert depth_at_write and all(depth > outer for depth in depth_at_write)
