"""Issue 12 / R18: the staff admin fits a 1366 px screen. Every changelist and a
change page of each model open without the page scrolling sideways and without
the results table cut off inside its box, for a superuser and a support engineer.
"""

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from invitations.models import Invitation
from tests import factories
from tests.test_admin_queries import BUILDERS

pytestmark = pytest.mark.browser

User = factories.UserFactory._meta.model
WIDE = {"width": 1366, "height": 768}

# What overflows, measured rather than looked at: the page, and the changelist's
# results box (Django lets it scroll, which hides the last columns).
OVERFLOW = """() => {
    const root = document.documentElement;
    const results = document.querySelector('#changelist .results');
    return {
        page: root.scrollWidth,
        window: window.innerWidth,
        results: results ? results.scrollWidth : 0,
        box: results ? results.clientWidth : 0,
    };
}"""


def _models():
    return sorted(admin.site._registry, key=lambda m: m._meta.label)


def _pages():
    """Each registered model's changelist and the change page of one of its rows
    (rows built like the query-count tests build them, every key filled in)."""
    pages = []
    for model in _models():
        opts = model._meta
        builder = BUILDERS.get(model)
        obj = None
        if builder is not None:
            for _ in range(3):
                obj = builder()
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        if obj is not None:
            pages.append(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]
                )
            )
    return pages


def _long_invitation():
    """A row as wide as real ones get: a long address and partner name."""
    relationship = factories.RelationshipFactory(
        partner__name="Contoso Cloud Partners International",
        customer__name="Adatum Corporation Europe",
    )
    factories.InvitationFactory(
        partner=relationship.partner,
        customer=relationship.customer,
        relationship=relationship,
        recipient_email="first.last-administrator@adatum-europe.example",
        status=Invitation.Status.ACCEPTED,
        responded_by=factories.UserFactory(),
    )


def _sign_in(page, username):
    """The admin's own sign-in form, then the second step staff must pass (R28)."""
    from partners.two_step_services import demo_devices_enrol
    from tests.conftest import totp_code_for

    user = User.objects.get(username=username)
    demo_devices_enrol(user=user)
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Email address").fill(username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/accounts/login/verify/**")
    page.get_by_label("Verification code").fill(totp_code_for(user))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/admin/")


def _assert_every_page_fits(page, paths):
    too_wide = []
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, path
        size = page.evaluate(OVERFLOW)
        if size["page"] > size["window"] or size["results"] > size["box"]:
            too_wide.append(f"{path}: {size}")
    assert too_wide == [], "\n".join(too_wide)


@pytest.fixture
def superuser(transactional_db):
    return User.objects.create_superuser(
        username="root@portal.example",
        email="root@portal.example",
        password=factories.PASSWORD,
    )


def _support_staff_group():
    """The group as its migrations make it (a live-server test's database is
    emptied between tests, migration data included)."""
    for name, function in [
        ("0002_support_staff_group", "create_group"),
        ("0003_support_staff_core_notifications", "grant"),
        ("0006_support_staff_queue", "grant"),
        ("0007_bulk_request", "grant_support_view"),
        ("gdap:0003_support_staff_gdap", "grant"),
        ("gdap:0005_support_staff_api_tokens", "grant"),
        ("api:0003_support_staff_webhooks", "grant"),
    ]:
        app, _sep, name = name.rpartition(":")
        module = importlib.import_module(f"{app or 'invitations'}.migrations.{name}")
        getattr(module, function)(django_apps, None)
    return Group.objects.get(name="Support staff")


@pytest.fixture
def support_engineer(transactional_db):
    group = _support_staff_group()
    user = User.objects.create_user(
        username="support@portal.example",
        email="support@portal.example",
        password=factories.PASSWORD,
        is_staff=True,
    )
    user.groups.add(group)
    return user


def test_admin_pages_fit_1366_px_for_a_superuser(new_page, superuser):
    _long_invitation()
    paths = ["/admin/", *_pages()]
    page = new_page(viewport=WIDE)
    _sign_in(page, superuser.username)
    _assert_every_page_fits(page, paths)


def test_admin_pages_fit_1366_px_for_a_support_engineer(new_page, support_engineer):
    _long_invitation()
    paths = ["/admin/", *_pages()]
    page = new_page(viewport=WIDE)
    _sign_in(page, support_engineer.username)
    # Support engineers see the portal's models, not users and groups.
    visible = [
        p
        for p in paths
        if not p.startswith(
            (
                "/admin/auth/",
                "/admin/accounts/",
                "/admin/otp_totp/",
                "/admin/otp_static/",
                "/admin/core/usersession/",
                "/admin/partners/partneruserevent/",
            )
        )
    ]
    _assert_every_page_fits(page, visible)
