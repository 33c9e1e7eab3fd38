"""Notices moved from partners to core: Support staff view and change them there."""

from django.db import migrations

GROUP = "Support staff"


def grant(apps, schema_editor):
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; make core's now.
    app_config = global_apps.get_app_config("core")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.remove(
        *Permission.objects.filter(
            content_type__app_label="partners", codename__endswith="_notification"
        )
    )
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="core",
            codename__in=["view_notification", "change_notification"],
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("invitations", "0002_support_staff_group"),
        ("core", "0002_copy_partner_notifications"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
