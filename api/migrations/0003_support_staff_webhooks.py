"""R18/R40: support staff see webhook endpoints (never their secret) and their
deliveries in the admin. No adding, editing or deleting."""

from django.db import migrations

from core.migration_helpers import support_staff_permissions

grant, revoke = support_staff_permissions(
    "api", ["view_webhookendpoint", "view_webhookdelivery"]
)


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_webhooks"),
        ("invitations", "0002_support_staff_group"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
