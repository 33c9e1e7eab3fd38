"""Hardening after the security review: NUL bytes, link redaction in logs, secret
columns in admin lookups, private caching, what a former partner sees (R17), and
CSV formula injection."""

import logging
from datetime import timedelta as duration
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.admin.filters import SimpleListFilter
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from config.logging import redact
from core.admin_helpers import csv_cell
from customers.models import Customer, ResellerRelationship
from invitations import tokens
from invitations.models import Invitation
from tests import factories
from tests.test_admin_queries import BUILDERS
from tests.test_security import assert_absent

pytestmark = pytest.mark.django_db

User = factories.UserFactory._meta.model
REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)


def changelist_url(model):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


@pytest.fixture
def root(client):
    user = User.objects.create_superuser(
        username="root@portal.test", email="root@portal.test", password="x"
    )
    client.force_login(user)
    client.raise_request_exception = False
    return user


@pytest.fixture
def support(client):
    user = factories.UserFactory(email="support@portal.example", is_staff=True)
    user.groups.add(Group.objects.get(name="Support staff"))
    client.force_login(user)
    client.raise_request_exception = False
    return user


# --- 1. NUL bytes are a 400, never a 500 -------------------------------------------


def _filter_parameters(model_admin, request) -> set[str]:
    """Every query parameter a changelist's filters read, and each field path
    listed as a filter as it is (``?kind=``, ``?customer__country=``)."""
    names = set()
    for item in model_admin.get_list_filter(request):
        if isinstance(item, (list, tuple)):
            item = item[0]
        if isinstance(item, str):
            names.add(item)
        elif isinstance(item, type) and issubclass(item, SimpleListFilter):
            names.add(item.parameter_name)
    changelist = model_admin.get_changelist_instance(request)
    for spec in changelist.filter_specs:
        names.update(spec.expected_parameters())
    if model_admin.date_hierarchy:
        names.add(f"{model_admin.date_hierarchy}__year")
    return names


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_nul_in_any_admin_filter_is_400(client, rf, root, model):
    BUILDERS[model]()
    model_admin = admin.site._registry[model]
    request = rf.get(changelist_url(model))
    request.user = root
    parameters = _filter_parameters(model_admin, request)
    for parameter in sorted(parameters) + ["q", "o", "p"]:
        response = client.get(f"{changelist_url(model)}?{parameter}=%00")
        assert response.status_code == 400, (parameter, response.status_code)
        # In a key as well as in a value.
        response = client.get(f"{changelist_url(model)}?{parameter}%00=1")
        assert response.status_code == 400, (parameter, response.status_code)


def test_nul_in_portal_query_string_is_400(client, admin_agent):
    client.force_login(admin_agent)
    assert client.get("/customers/?sort=%00").status_code == 400
    assert client.get("/invitations/?status=a%00b").status_code == 400


@pytest.mark.parametrize(
    "data",
    [
        {"username": "a\x00@example.test", "password": "x"},
        {"username": "a@example.test", "password": "x\x00"},
        {"username": "a@example.test", "password": "x", "extra\x00": "1"},
    ],
)
def test_nul_in_a_posted_form_is_400(client, data):
    response = client.post(reverse("login"), data)
    assert response.status_code == 400
    assert response.content.decode() == "Bad request."


def test_ordinary_requests_still_pass(client, admin_agent):
    client.force_login(admin_agent)
    assert client.get("/customers/?q=Contoso").status_code == 200


# --- 2. Invitation links are redacted by their shape ----------------------------------


@pytest.fixture
def caplog_all(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    return caplog


def _encoded(text: str) -> str:
    return "".join(f"%{ord(c):02X}" for c in text)


@pytest.mark.parametrize(
    "line",
    [
        "GET /invitations/%61ccept/{token}/ HTTP/1.1",
        "GET /portals/newportal/{token}/ HTTP/1.1",
        "Referer: https://portal.example/portals/newportal/{token}",
        "GET /invitations/accept/{encoded}/ HTTP/1.1",
        "GET /invitations/%61ccept/{mixed}/ HTTP/1.1",
        "the link {token} was pasted",
    ],
)
def test_redact_removes_any_token_by_its_shape(partner, line):
    token = tokens.make_token(factories.InvitationFactory(partner=partner))
    id_part, digest = token.split("-")
    encoded = _encoded(token)
    mixed = f"{id_part}%2d{_encoded(digest[:7]).lower()}{digest[7:]}"
    text = line.format(token=token, encoded=encoded, mixed=mixed)
    cleaned = redact(text)
    assert "[redacted]" in cleaned
    for secret in (token, digest, encoded, digest[7:]):
        assert secret not in cleaned


def test_redact_leaves_other_text_alone():
    line = "GET /customers/42/?sort=-since HTTP/1.1 200 uuid 123e4567-e89b-12d3"
    assert redact(line) == line


def test_gunicorn_access_log_redacts_an_encoded_link(partner):
    from gunicorn.config import Config

    from config.access_log import RedactingGunicornLogger

    token = tokens.make_token(factories.InvitationFactory(partner=partner))
    config = Config()
    config.set("logger_class", "config.access_log.RedactingGunicornLogger")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/invitations/%61ccept/{token}/",
        "PATH_INFO": f"/invitations/accept/{token}/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://portal.example/portals/newportal/{token}/",
    }
    response = SimpleNamespace(status="302 Found", headers=[], sent=0)
    request = SimpleNamespace(headers=[("Referer", environ["HTTP_REFERER"])])
    atoms = RedactingGunicornLogger(config).atoms(
        response, request, environ, duration(milliseconds=5)
    )
    assert token not in repr(atoms)
    assert token.split("-")[1] not in repr(atoms)


def test_a_request_with_an_encoded_path_logs_no_token(client, caplog_all, partner):
    revoked = factories.InvitationFactory(
        partner=partner, status=Invitation.Status.REVOKED
    )
    good = factories.InvitationFactory(partner=partner)
    secrets = [tokens.make_token(i) for i in (revoked, good)]
    client.raise_request_exception = False
    for token in secrets:
        # Reaches the view (the path is decoded once)...
        client.get(f"/invitations/%61ccept/{token}/")
        # ...or is logged as a 404 with the path still encoded.
        client.get(f"/invitations/%2561ccept/{token}/")
        client.get(f"/portals/newportal/{token}/")
    assert "Not Found" in caplog_all.text
    assert_absent(caplog_all, *secrets)


# --- 3. The link nonce cannot be recovered through admin lookups ----------------------


@pytest.mark.parametrize("who", ["root", "support"])
@pytest.mark.parametrize(
    ("model", "lookup"),
    [
        (Invitation, "link_nonce__startswith"),
        (Invitation, "link_nonce"),
        (Invitation, "link_nonce__gt"),
        (Customer, "invitations__link_nonce__startswith"),
        (ResellerRelationship, "invitations__link_nonce__startswith"),
        (User, "password__startswith"),
    ],
)
def test_lookups_on_secret_columns_are_400(request, client, who, model, lookup):
    request.getfixturevalue(who)
    invitation = factories.InvitationFactory()
    response = client.get(
        changelist_url(model), {lookup: invitation.link_nonce[:1] or "a"}
    )
    if who == "support" and model is User:
        assert response.status_code == 403  # support never sees users at all
    else:
        assert response.status_code == 400


def test_ordinary_lookups_still_work(client, root):
    factories.InvitationFactory()
    response = client.get(changelist_url(Invitation), {"include_dap__exact": "1"})
    assert response.status_code == 200


# --- 4. Signed-in pages are never cached ----------------------------------------------


@pytest.fixture
def litware(partner):
    customer = factories.CustomerFactory(name="Litware", domain="litware.example")
    factories.RelationshipFactory(partner=partner, customer=customer)
    return customer


@pytest.mark.parametrize(
    "path",
    ["/customers/", "/customers/{id}/", "/customers/{id}/card/", "/invitations/"],
)
def test_partner_pages_are_private_and_not_stored(client, admin_agent, litware, path):
    client.force_login(admin_agent)
    response = client.get(path.format(id=litware.pk))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_customer_admin_page_is_private_and_not_stored(client, litware):
    client.force_login(factories.customer_admin(litware))
    response = client.get("/customer/partners/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_static_files_keep_their_own_caching(client, admin_agent, settings):
    settings.WHITENOISE_USE_FINDERS = True  # read when the client's handler starts
    client.force_login(admin_agent)
    response = client.get("/static/js/portal.js")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_view_that_sets_its_own_caching_keeps_it(client, admin_agent):
    client.force_login(admin_agent)
    response = client.get("/healthz")  # never_cache
    assert response["Cache-Control"] != "private, no-store"
    assert "max-age=0" in response["Cache-Control"]


# --- 5. A former partner sees nothing current of the customer (R17) -------------------


@pytest.fixture
def former(partner, admin_agent):
    """A customer whose relationship with ``partner`` ended, with current data."""
    customer = factories.CustomerFactory(
        name="Formerly Fabrikam", domain="fabrikam-now.example", country="DE"
    )
    factories.customer_admin(customer, email="current-admin@fabrikam-now.example")
    relationship = factories.RelationshipFactory(
        partner=partner, customer=customer, dap_active=True
    )
    factories.SubscriptionFactory(customer=customer, offer_name="Someone else's offer")
    factories.DirectoryUserFactory(customer=customer, display_name="Current Person")
    factories.LicenseFactory(customer=customer, product="Current Product Licence")
    factories.RelationshipEventFactory(
        partner=partner,
        customer=customer,
        relationship=relationship,
        kind="accepted",
    )
    ResellerRelationship.objects.filter(pk=relationship.pk).update(
        status=ResellerRelationship.Status.ENDED,
        ended_at=timezone.now(),
        dap_active=False,
    )
    return customer


def test_request_form_for_former_customer_names_and_prefills_nothing(
    client, admin_agent, former
):
    client.force_login(admin_agent)
    response = client.get(reverse("invitations:new"), {"customer": former.pk})
    assert response.status_code == 200
    body = response.content.decode()
    assert "current-admin@fabrikam-now.example" not in body
    assert "Formerly Fabrikam" not in body


def test_request_form_for_current_customer_still_prefills(client, partner, admin_agent):
    customer = factories.CustomerFactory(name="Still Tailspin")
    factories.customer_admin(customer, email="admin@tailspin-still.example")
    factories.RelationshipFactory(partner=partner, customer=customer, dap_active=False)
    client.force_login(admin_agent)
    body = client.get(
        reverse("invitations:new"), {"customer": customer.pk}
    ).content.decode()
    assert "admin@tailspin-still.example" in body


@pytest.mark.parametrize("view", ["customers:detail", "customers:card"])
def test_ended_card_shows_history_not_the_tenant(client, admin_agent, former, view):
    client.force_login(admin_agent)
    response = client.get(reverse(view, args=[former.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for current in (
        "fabrikam-now.example",
        "current-admin@",
        "Someone else&#x27;s offer",
        "Someone else's offer",
        "Current Person",
        "Current Product Licence",
        "Primary domain",
        "Germany",
    ):
        assert current not in body, current
    assert "This relationship ended on" in body


def test_detail_of_ended_relationship_keeps_its_timeline(client, admin_agent, former):
    client.force_login(admin_agent)
    body = client.get(reverse("customers:detail", args=[former.pk])).content.decode()
    assert "History" in body
    assert "Accepted" in body or "accepted" in body


def test_active_card_still_shows_the_account(client, admin_agent, litware):
    client.force_login(admin_agent)
    body = client.get(reverse("customers:card", args=[litware.pk])).content.decode()
    assert "Primary domain" in body
    assert "litware.example" in body


# --- 6. CSV cells a spreadsheet would run are neutralised -----------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (";=1+1", "';=1+1"),
        (",=1+1", "',=1+1"),
        (";+1", "';+1"),
        (",@SUM(A1)", "',@SUM(A1)"),
        ("; -5", "'; -5"),
        ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals sign
        ("\uff0b1", "'\uff0b1"),  # full-width plus sign
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),  # full-width commercial at
        ("\u200b=1+1", "'\u200b=1+1"),  # zero-width space
        ("\ufeff=1+1", "'\ufeff=1+1"),  # byte order mark
        ("\u200b\ufeff \u200b+1", "'\u200b\ufeff \u200b+1"),
        (" =1+1", "' =1+1"),
        ("\u200b;=1", "'\u200b;=1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        # Ordinary text stays as it is.
        ("Adatum; Contoso", "Adatum; Contoso"),
        (";notes", ";notes"),
        ("a=b", "a=b"),
        ("\u200bAdatum", "\u200bAdatum"),
    ],
)
def test_csv_cell_neutralises_hidden_formulas(value, cell):
    assert csv_cell(value) == cell
