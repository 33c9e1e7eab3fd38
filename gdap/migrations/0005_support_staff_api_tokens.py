"""R18/R38: support staff see every API token (never a key: only hashes exist)
and revoke them through the admin's action (partners.api_tokens.token_revoke,
with the staff member as actor). No adding, no editing, no deleting.

Here rather than in partners: the "Support staff" group is made (and its
permissions set) by invitations' migration 0002, which this one must follow.
"""

from django.db import migrations

GROUP = "Support staff"
CODENAMES = ["view_apitoken", "change_apitoken"]


def grant(apps, schema_editor):
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    app_config = global_apps.get_app_config("partners")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="partners", codename__in=CODENAMES
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="partners", codename__in=CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("gdap", "0004_admin_relationship_recent_idx"),
        ("partners", "0008_api_tokens"),
        ("invitations", "0002_support_staff_group"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
