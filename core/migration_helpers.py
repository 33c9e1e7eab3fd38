"""What data migrations of several apps share."""

SUPPORT_STAFF = "Support staff"


def support_staff_permissions(app_label: str, codenames: list[str]):
    """R18: ``(grant, revoke)`` for ``RunPython``: the "Support staff" group (made
    by invitations' migration 0002, which the migration must follow) gets, or
    loses, ``codenames`` of ``app_label``'s models."""

    def grant(apps, schema_editor):
        from django.apps import apps as global_apps
        from django.contrib.auth.management import create_permissions

        # Permissions are normally made after all migrations; make these now.
        app_config = global_apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        group, _ = Group.objects.get_or_create(name=SUPPORT_STAFF)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=app_label, codename__in=codenames
            )
        )

    def revoke(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        group = Group.objects.filter(name=SUPPORT_STAFF).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )

    return grant, revoke
