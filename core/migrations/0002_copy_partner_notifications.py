"""Notices move from partners.Notification (invitation-specific columns) to the
generic core.Notification: names and the invitation go into ``params``."""

from django.db import migrations


def forwards(apps, schema_editor):
    Old = apps.get_model("partners", "Notification")
    New = apps.get_model("core", "Notification")
    rows = [
        New(
            recipient_id=old.user_id,
            kind=old.kind,
            params={
                "customer": old.customer_name,
                "partner": old.partner_name,
                "invitation_id": old.invitation_id,
            },
            link="/invitations/",
            read_at=old.seen_at,
            email_sent_at=old.email_sent_at,
            email_error=old.email_error,
        )
        for old in Old.objects.order_by("id").iterator()
    ]
    created = New.objects.bulk_create(rows, batch_size=500)
    # auto_now_add set "now": keep each notice's own time.
    for new, old in zip(created, Old.objects.order_by("id"), strict=True):
        New.objects.filter(pk=new.pk).update(created_at=old.created_at)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("partners", "0003_country_field"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
