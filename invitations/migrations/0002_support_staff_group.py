"""R18: the "Support staff" group, with the least permissions support engineers need.

They view everything of the portal's own apps, change invitations, relationships,
service requests and notifications (through admin actions that call the domain
services), and nothing else: no users or groups, no adding, no deleting.
"""

from django.db import migrations

GROUP = "Support staff"
VIEW_ONLY = [
    ("partners", "partner"),
    ("partners", "partnermembership"),
    ("partners", "membershiprole"),
    ("customers", "customer"),
    ("customers", "customermembership"),
    ("customers", "directoryuser"),
    ("customers", "license"),
    ("customers", "subscription"),
    ("customers", "relationshipevent"),
    ("customers", "supportcontact"),
]
VIEW_AND_CHANGE = [
    ("invitations", "invitation"),
    ("customers", "resellerrelationship"),
    ("customers", "servicerequest"),
    # partners.notification was here; notices moved to core (migration 0003).
]


def create_group(apps, schema_editor):
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; make them now.
    for app_config in global_apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = [(app, f"view_{model}") for app, model in VIEW_ONLY + VIEW_AND_CHANGE]
    wanted += [(app, f"change_{model}") for app, model in VIEW_AND_CHANGE]
    perms = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in wanted
    ]
    group.permissions.set(perms)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("invitations", "0001_initial"),
        ("customers", "0002_event_append_only"),
        ("partners", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_group, remove_group)]
