"""R44: service request notes, append-only like the timeline.

The database refuses UPDATE of a note on both engines, and DELETE on PostgreSQL
(see 0002_event_append_only for why not DELETE on SQLite). A note a support
engineer already left for the partner (``staff_note``) becomes the first note
of its request, so the conversation starts with it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "customers_servicerequestnote"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION service_request_note_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'service request notes are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER service_request_note_no_update BEFORE UPDATE OR DELETE ON {TABLE}
  FOR EACH ROW EXECUTE FUNCTION service_request_note_append_only();
"""
POSTGRES_DOWN = f"""
DROP TRIGGER IF EXISTS service_request_note_no_update ON {TABLE};
DROP FUNCTION IF EXISTS service_request_note_append_only();
"""
SQLITE_UP = f"""
CREATE TRIGGER service_request_note_no_update BEFORE UPDATE ON {TABLE}
BEGIN SELECT RAISE(ABORT, 'service request notes are append-only'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS service_request_note_no_update;"


def append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def append_only_undo(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


def staff_notes_to_notes(apps, schema_editor):
    ServiceRequest = apps.get_model("customers", "ServiceRequest")
    Note = apps.get_model("customers", "ServiceRequestNote")
    Note.objects.bulk_create(
        Note(
            service_request_id=sr.pk,
            author_id=sr.handled_by_id,
            body=sr.staff_note,
            is_internal=False,
            created_at=sr.updated_at,
        )
        # A note needs an author: without an engineer it stays on the card only.
        for sr in ServiceRequest.objects.exclude(staff_note="")
        .filter(handled_by__isnull=False)
        .iterator()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_time_zone"),
        ("partners", "0005_time_zone"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ServiceRequestNote",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("body", models.TextField(max_length=5000, verbose_name="note")),
                (
                    "is_internal",
                    models.BooleanField(
                        default=False,
                        help_text="Only support engineers see internal notes.",
                        verbose_name="internal",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, verbose_name="time"),
                ),
            ],
            options={
                "verbose_name": "service request note",
                "verbose_name_plural": "service request notes",
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.AddIndex(
            model_name="servicerequest",
            index=models.Index(
                fields=["partner", "updated_at"], name="sr_partner_updated_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="servicerequest",
            index=models.Index(
                fields=["customer", "updated_at"], name="sr_customer_updated_idx"
            ),
        ),
        migrations.AddField(
            model_name="servicerequestnote",
            name="author",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="author",
            ),
        ),
        migrations.AddField(
            model_name="servicerequestnote",
            name="service_request",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notes",
                to="customers.servicerequest",
            ),
        ),
        migrations.AddIndex(
            model_name="servicerequestnote",
            index=models.Index(
                fields=["service_request", "created_at"], name="sr_note_request_idx"
            ),
        ),
        migrations.RunPython(append_only, append_only_undo),
        migrations.RunPython(staff_notes_to_notes, migrations.RunPython.noop),
    ]
