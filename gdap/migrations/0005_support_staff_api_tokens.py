"""R18/R38: support staff see every API token (never a key: only hashes exist)
and revoke them through the admin's action (partners.api_tokens.token_revoke,
with the staff member as actor). No adding, no editing, no deleting.

Here rather than in partners: the "Support staff" group is made (and its
permissions set) by invitations' migration 0002, which this one must follow.
"""

from django.db import migrations

from core.migration_helpers import support_staff_permissions

grant, revoke = support_staff_permissions(
    "partners", ["view_apitoken", "change_apitoken"]
)


class Migration(migrations.Migration):
    dependencies = [
        ("gdap", "0004_admin_relationship_recent_idx"),
        ("partners", "0008_api_tokens"),
        ("invitations", "0002_support_staff_group"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
