"""R18/R40: support staff see webhook endpoints (never their secret) and their
deliveries in the admin. No adding, editing or deleting."""

from django.db import migrations

GROUP = "Support staff"
CODENAMES = ["view_webhookendpoint", "view_webhookdelivery"]


def grant(apps, schema_editor):
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    app_config = global_apps.get_app_config("api")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="api", codename__in=CODENAMES
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="api", codename__in=CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_webhooks"),
        ("invitations", "0002_support_staff_group"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
