"""Support staff see the outgoing emails and the job queue, and Retry what failed
(R21); they change nothing else there (both admins are read-only)."""

from django.db import migrations

GROUP = "Support staff"
GRANTS = {
    "core": ["view_outgoingemail", "change_outgoingemail"],
    "django_tasks_database": ["view_dbtaskresult", "change_dbtaskresult"],
    "invitations": ["view_invitationreminder"],
}


def grant(apps, schema_editor):
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; make these now.
    for label in GRANTS:
        app_config = global_apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for label, codenames in GRANTS.items():
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=label, codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("invitations", "0005_invitation_last_email_invitationreminder"),
        ("core", "0004_outgoing_email"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
