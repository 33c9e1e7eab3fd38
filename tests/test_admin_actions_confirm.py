"""Issue 12, staff admin (R18): the revoke and end actions ask first and keep a
reason in the event; drafts hide the link's placeholder; changelists filter by
partner at a fixed number of queries."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import RelationshipEvent, ResellerRelationship, SupportContact
from invitations.models import LINK_PLACEHOLDER, Invitation
from tests import factories
from tests.helpers import admin_url as url

pytestmark = pytest.mark.django_db

Kind = RelationshipEvent.Kind
User = factories.UserFactory._meta.model


@pytest.fixture
def root(client):
    user = User.objects.create_superuser(
        username="root@portal.test", email="root@portal.test", password="x"
    )
    client.force_login(user)
    return user


def choose(client, model, action, objects, query="", **extra):
    """The changelist's action form, as the browser posts it."""
    data = {
        "action": action,
        "_selected_action": [str(o.pk) for o in objects],
        "index": "0",
        **extra,
    }
    return client.post(url(model) + query, data)


def confirm(client, model, action, objects, query="", **extra):
    """The confirmation page's form, as the browser posts it (no ``index``)."""
    data = {
        "action": action,
        "_selected_action": [str(o.pk) for o in objects],
        "confirm": "yes",
        **extra,
    }
    return client.post(url(model) + query, data)


# --- Revoke selected invitations ----------------------------------------------------


def test_revoke_action_asks_for_confirmation_before_revoking(client, root):
    first, second = factories.InvitationFactory.create_batch(2)
    response = choose(client, Invitation, "revoke_invitations", [first, second])
    assert response.status_code == 200
    assert response.templates[0].name == "admin/confirm_with_reason.html"
    html = response.content.decode()
    for invitation in (first, second):
        assert f"Invitation #{invitation.pk} from" in html
        assert f'name="_selected_action" value="{invitation.pk}"' in html
    assert 'name="action" value="revoke_invitations"' in html
    assert 'name="reason"' in html
    assert "csrfmiddlewaretoken" in html
    assert "No, take me back" in html
    # Nothing happens before the confirmation.
    assert Invitation.objects.filter(status=Invitation.Status.PENDING).count() == 2
    assert not RelationshipEvent.objects.filter(kind=Kind.REVOKED).exists()


def test_revoke_without_a_reason_shows_the_page_again_and_changes_nothing(client, root):
    invitation = factories.InvitationFactory()
    response = confirm(
        client, Invitation, "revoke_invitations", [invitation], reason=""
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "reason" in form.errors
    assert "This field is required." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_revoke_with_a_reason_goes_through_the_service_and_keeps_the_reason(
    client, root
):
    invitation = factories.InvitationFactory()
    response = confirm(
        client,
        Invitation,
        "revoke_invitations",
        [invitation],
        reason="Sent to the wrong address",
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    event = RelationshipEvent.objects.get(
        invitation_id=invitation.pk, kind=Kind.REVOKED
    )
    assert event.actor == root
    assert event.details["reason"] == "Sent to the wrong address"
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert "1 invitation revoked; its link no longer works." in texts


def test_revoke_across_all_pages_carries_select_across_and_the_filter(client, root):
    contoso = factories.PartnerFactory(name="Contoso")
    chosen = factories.InvitationFactory.create_batch(3, partner=contoso)
    other = factories.InvitationFactory()
    query = f"?partner__id__exact={contoso.pk}"
    page = choose(
        client, Invitation, "revoke_invitations", chosen[:1], query, select_across="1"
    )
    html = page.content.decode()
    assert 'name="select_across" value="1"' in html
    assert page.context["more"] == 0 and len(page.context["rows"]) == 3
    response = confirm(
        client,
        Invitation,
        "revoke_invitations",
        chosen[:1],
        query,
        select_across="1",
        reason="Partner closed",
    )
    assert response.status_code == 302
    statuses = set(
        Invitation.objects.filter(partner=contoso).values_list("status", flat=True)
    )
    assert statuses == {Invitation.Status.REVOKED}
    other.refresh_from_db()
    assert other.status == Invitation.Status.PENDING


def _confirmation_queries(client, invitations):
    choose(client, Invitation, "revoke_invitations", invitations)  # warm caches
    with CaptureQueriesContext(connection) as queries:
        response = choose(client, Invitation, "revoke_invitations", invitations)
    assert response.status_code == 200
    return len(queries)


def test_revoke_confirmation_page_costs_the_same_queries_for_5_and_50(client, root):
    # R18: the page lists each row with its partner in a fixed number of queries.
    few = factories.InvitationFactory.create_batch(5)
    many = few + factories.InvitationFactory.create_batch(45)
    assert _confirmation_queries(client, few) == _confirmation_queries(client, many)


# --- End selected relationships ------------------------------------------------------


def test_end_without_a_reason_shows_the_page_again_and_ends_nothing(client, root):
    relationship = factories.RelationshipFactory()
    response = confirm(
        client, ResellerRelationship, "end_relationships", [relationship], reason=" "
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    relationship.refresh_from_db()
    assert relationship.status == ResellerRelationship.Status.ACTIVE
    assert not RelationshipEvent.objects.filter(kind=Kind.ENDED).exists()


def test_end_with_a_reason_keeps_it_in_the_event(client, root):
    relationship = factories.RelationshipFactory()
    page = choose(client, ResellerRelationship, "end_relationships", [relationship])
    assert page.status_code == 200
    assert page.templates[0].name == "admin/confirm_with_reason.html"
    response = confirm(
        client,
        ResellerRelationship,
        "end_relationships",
        [relationship],
        reason="Customer asked support",
    )
    assert response.status_code == 302
    event = RelationshipEvent.objects.get(relationship=relationship, kind=Kind.ENDED)
    assert event.actor == root
    assert event.details["reason"] == "Customer asked support"
    assert event.details["side"] == "staff"


def test_end_confirmation_names_rows_that_will_not_end(client, root):
    ended = factories.RelationshipFactory(
        status=ResellerRelationship.Status.ENDED, ended_at=timezone.now()
    )
    page = choose(client, ResellerRelationship, "end_relationships", [ended])
    assert "already ended" in page.content.decode()


# --- The draft's placeholder ------------------------------------------------------


def test_invitation_change_page_shows_link_hidden_not_the_placeholder(client, root):
    invitation = factories.InvitationFactory(
        subject="Request {{invitation_link}}",
        body="Hello,\nPlease accept: {{invitation_link}}\nThanks",
    )
    response = client.get(url(Invitation, "change", invitation.pk))
    html = response.content.decode()
    assert LINK_PLACEHOLDER not in html
    assert "Please accept: [link hidden]<br>Thanks" in html
    assert "Request [link hidden]" in html


# --- Partner filter ----------------------------------------------------------------


def _changelist(client, model, **params):
    return client.get(url(model), params)


def test_invitations_filter_by_partner(client, root):
    contoso, fabrikam = factories.PartnerFactory.create_batch(2)
    mine = factories.InvitationFactory(partner=contoso)
    factories.InvitationFactory(partner=fabrikam)
    response = _changelist(client, Invitation, partner__id__exact=contoso.pk)
    assert list(response.context["cl"].result_list) == [mine]
    filters = [spec.title for spec in response.context["cl"].filter_specs]
    assert "partner" in filters


@pytest.mark.parametrize(
    ("model", "builder", "param"),
    [
        (
            ResellerRelationship,
            lambda p: factories.RelationshipFactory(partner=p),
            "partner__id__exact",
        ),
        (
            RelationshipEvent,
            lambda p: factories.RelationshipEventFactory(partner=p),
            "partner__id__exact",
        ),
        (
            SupportContact,
            lambda p: factories.SupportContactFactory(relationship__partner=p),
            "relationship__partner__id__exact",
        ),
    ],
    ids=["relationships", "events", "support-contacts"],
)
def test_other_changelists_filter_by_partner(client, root, model, builder, param):
    contoso, fabrikam = factories.PartnerFactory.create_batch(2)
    mine = builder(contoso)
    builder(fabrikam)
    response = _changelist(client, model, **{param: contoso.pk})
    assert list(response.context["cl"].result_list) == [mine]


def _filtered_queries(client, partner):
    params = {"partner__id__exact": partner.pk}
    _changelist(client, Invitation, **params)  # warm caches
    with CaptureQueriesContext(connection) as queries:
        response = _changelist(client, Invitation, **params)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_partner_filter_costs_the_same_queries_for_5_and_500_rows(client, root):
    # R18: the filter's choices come in one query, whatever the number of rows
    # or partners.
    partners = factories.PartnerFactory.create_batch(5)
    for partner in partners:
        factories.InvitationFactory(partner=partner)
    few = _filtered_queries(client, partners[0])
    partners += factories.PartnerFactory.create_batch(20)
    for i in range(495):
        factories.InvitationFactory(partner=partners[i % len(partners)])
    many = _filtered_queries(client, partners[0])
    assert len(few) == len(many), "\n".join([*few, "", *many])
