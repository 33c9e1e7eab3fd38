from django.core.exceptions import ImproperlyConfigured
from django.urls import path

from invitations import bulk_views, sign_up_views, views
from invitations.experiences import EXPERIENCES

app_name = "invitations"


def experience_urlpatterns(experiences):
    """R8: one acceptance page per row of ``experiences`` (slug → Experience).

    Each is ``portals/<slug>/<str:token>/``, named after its ``url_name``
    ("invitations:<slug>"), and served by ``views.experience`` with its slug.
    """
    patterns = []
    for slug, experience in experiences.items():
        namespace, _, name = experience.url_name.rpartition(":")
        if slug != experience.slug or namespace != app_name:
            raise ImproperlyConfigured(
                f"experience {slug!r}: url_name {experience.url_name!r} must be "
                f"'{app_name}:<name>' and its slug {experience.slug!r} its key"
            )
        patterns.append(
            path(
                f"portals/{slug}/<str:token>/",
                views.experience,
                {"slug": slug},
                name=name,
            )
        )
    return patterns


urlpatterns = [
    path("invitations/", views.invitation_list, name="list"),
    path("invitations/new/", views.invitation_new, name="new"),
    path("invitations/bulk/", bulk_views.bulk, name="bulk"),
    path(
        "invitations/bulk/<id:bulk_id>/",
        bulk_views.bulk_progress,
        name="bulk_progress",
    ),
    path(
        "invitations/bulk/<id:bulk_id>/status.json",
        bulk_views.bulk_status,
        name="bulk_status",
    ),
    path(
        "invitations/bulk/<id:bulk_id>/summary.csv",
        bulk_views.bulk_summary,
        name="bulk_summary",
    ),
    path("invitations/<id:invitation_id>/email/", views.invitation_email, name="email"),
    path(
        "invitations/<id:invitation_id>/revoke/",
        views.invitation_revoke,
        name="revoke",
    ),
    path(
        "invitations/<id:invitation_id>/new-link/",
        views.invitation_new_link,
        name="new_link",
    ),
    path(
        "invitations/<id:invitation_id>/extend/",
        views.invitation_extend,
        name="extend",
    ),
    path(
        "invitations/<id:invitation_id>/send/",
        views.invitation_send,
        name="send",
    ),
    path("invitations/accept/<str:token>/", views.accept, name="accept"),
    # DESIGN 8.2: step 2 of "Create an account for your organisation".
    path(
        "portals/sign-up/<str:sign_up_id>/",
        sign_up_views.sign_up_code,
        name="sign_up_code",
    ),
    *experience_urlpatterns(EXPERIENCES),
]
