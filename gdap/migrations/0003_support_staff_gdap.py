"""R18: support staff see every admin relationship model, and change admin
relationships only through the admin's Terminate action (which calls
gdap.services with the staff member as actor). No adding, no deleting."""

from django.db import migrations

GROUP = "Support staff"
VIEW_ONLY = [
    "adminrelationshiprole",
    "securitygroup",
    "securitygroupmember",
    "accessassignment",
    "gdapevent",
    "adminrelationshipreminder",
]
VIEW_AND_CHANGE = ["adminrelationship"]


def grant(apps, schema_editor):
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; make gdap's now.
    app_config = global_apps.get_app_config("gdap")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    codenames = [f"view_{model}" for model in VIEW_ONLY + VIEW_AND_CHANGE]
    codenames += [f"change_{model}" for model in VIEW_AND_CHANGE]
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="gdap", codename__in=codenames
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="gdap")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("gdap", "0002_event_append_only"),
        ("invitations", "0002_support_staff_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
