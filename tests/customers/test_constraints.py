"""The database itself refuses what the code must never write (section 3, issue 3)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from customers.models import (
    Customer,
    RelationshipEvent,
    ResellerRelationship,
    SupportContact,
)
from customers.services import event_record
from tests import factories

pytestmark = pytest.mark.django_db

FR_PUBLIC = {"country": "FR", "cloud": "public"}


# --- One relationship per partner and customer ------------------------------------


def test_relationship_second_for_same_pair_is_refused_by_database():
    relationship = factories.RelationshipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ResellerRelationship.objects.create(
            partner=relationship.partner,
            customer=relationship.customer,
            since=relationship.since,
        )
    assert ResellerRelationship.objects.count() == 1


def test_relationship_second_for_same_pair_is_refused_even_when_first_ended():
    relationship = factories.RelationshipFactory(
        status=ResellerRelationship.Status.ENDED, ended_at=timezone.now()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ResellerRelationship.objects.create(
            partner=relationship.partner,
            customer=relationship.customer,
            since=relationship.since,
        )


def test_relationship_same_customer_with_other_partner_is_allowed():
    # Multi-partner (section 1): the pair is unique, not the customer.
    relationship = factories.RelationshipFactory()
    factories.RelationshipFactory(customer=relationship.customer)
    assert relationship.customer.relationships.count() == 2


# --- Customer domain: unique whatever the case, stored lower case ------------------


def test_customer_domain_is_stored_lower_case():
    customer = factories.CustomerFactory(domain="  AdAtum.Example ")
    customer.refresh_from_db()
    assert customer.domain == "adatum.example"


def test_customer_same_domain_in_other_case_is_refused_by_database():
    factories.CustomerFactory(domain="adatum.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.CustomerFactory(domain="ADATUM.example")
    assert Customer.objects.filter(domain__iexact="adatum.example").count() == 1


def test_customer_upper_case_domain_written_around_save_is_refused_by_database():
    # bulk_create skips Model.save(): the database must still refuse upper case.
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.bulk_create(
            [Customer(name="Adatum", domain="Adatum.example", **FR_PUBLIC)]
        )
    assert not Customer.objects.exists()


def test_customer_same_domain_in_other_case_written_around_save_is_refused():
    factories.CustomerFactory(domain="adatum.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.bulk_create(
            [Customer(name="Adatum 2", domain="adatum.example", **FR_PUBLIC)]
        )
    assert Customer.objects.count() == 1


# --- Support contacts: at most one primary -----------------------------------------


def test_support_contact_second_primary_is_refused_by_database():
    contact = factories.SupportContactFactory(is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.SupportContactFactory(
            relationship=contact.relationship, is_primary=True
        )
    assert contact.relationship.support_contacts.count() == 1


def test_support_contact_many_non_primary_are_allowed():
    contact = factories.SupportContactFactory(is_primary=True)
    factories.SupportContactFactory(relationship=contact.relationship)
    factories.SupportContactFactory(relationship=contact.relationship)
    assert contact.relationship.support_contacts.count() == 3


def test_support_contact_primary_on_each_relationship_is_allowed():
    factories.SupportContactFactory(is_primary=True)
    factories.SupportContactFactory(is_primary=True)
    assert SupportContact.objects.filter(is_primary=True).count() == 2


# --- Relationship events: append-only ---------------------------------------------


@pytest.fixture
def event():
    relationship = factories.RelationshipFactory()
    return event_record(
        kind=RelationshipEvent.Kind.ACCEPTED,
        partner=relationship.partner,
        customer=relationship.customer,
        relationship=relationship,
        details={"note": "original"},
    )


def test_event_save_after_change_is_refused(event):
    event.details = {"note": "changed"}
    with pytest.raises(ValidationError):
        event.save()
    event.refresh_from_db()
    assert event.details == {"note": "original"}


def test_event_delete_is_refused(event):
    with pytest.raises(ValidationError):
        event.delete()
    assert RelationshipEvent.objects.filter(pk=event.pk).exists()


def test_event_queryset_update_is_refused(event):
    with pytest.raises(ValidationError):
        RelationshipEvent.objects.filter(pk=event.pk).update(kind="ended")
    event.refresh_from_db()
    assert event.kind == RelationshipEvent.Kind.ACCEPTED


def test_event_queryset_delete_is_refused(event):
    with pytest.raises(ValidationError):
        RelationshipEvent.objects.filter(pk=event.pk).delete()
    assert RelationshipEvent.objects.filter(pk=event.pk).exists()


def test_event_bulk_update_is_refused(event):
    event.kind = RelationshipEvent.Kind.ENDED
    # bulk_update runs in its own atomic block, which the refusal marks for rollback.
    with pytest.raises(ValidationError), transaction.atomic():
        RelationshipEvent.objects.bulk_update([event], ["kind"])
    event.refresh_from_db()
    assert event.kind == RelationshipEvent.Kind.ACCEPTED


def test_event_raw_sql_update_is_refused_by_database_trigger(event):
    # The trigger of migration 0002, on SQLite and on PostgreSQL alike.
    table = connection.ops.quote_name(RelationshipEvent._meta.db_table)
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        sql = f"UPDATE {table} SET kind = %s WHERE id = %s"
        cursor.execute(sql, ["ended", event.pk])
    event.refresh_from_db()
    assert event.kind == RelationshipEvent.Kind.ACCEPTED


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="DELETE is refused by a trigger on PostgreSQL only (see migration 0002)",
)
def test_event_raw_sql_delete_is_refused_by_database_trigger_on_postgresql(event):
    table = connection.ops.quote_name(RelationshipEvent._meta.db_table)
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [event.pk])
    assert RelationshipEvent.objects.filter(pk=event.pk).exists()


def test_event_new_rows_can_still_be_appended(event):
    event_record(
        kind=RelationshipEvent.Kind.DAP_REMOVED,
        partner=event.partner,
        customer=event.customer,
        relationship=event.relationship,
    )
    assert RelationshipEvent.objects.filter(partner=event.partner).count() == 2
