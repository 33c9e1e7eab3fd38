"""R28 pages validate with the Nu HTML checker, in every language, in each of
their states (set-up with QR code, on with recovery codes, passkeys; the
second step with and without a passkey)."""

import pytest
from django.conf import settings
from django.test import Client
from django_otp_webauthn.models import WebAuthnCredential

from partners.models import Role
from partners.two_step_services import demo_devices_enrol
from tests import factories
from tests.conftest import force_login_unverified
from tests.test_html_valid import _checker, run_vnu

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def test_two_step_pages_validate(tmp_path, partner):
    java = _checker()
    new = factories.partner_user(partner=partner, role=Role.ADMIN_AGENT)
    on = factories.partner_user(partner=partner, role=Role.SALES_AGENT)
    demo_devices_enrol(user=on)
    WebAuthnCredential.objects.create(
        user=on, name="Laptop", confirmed=True, credential_id=b"c", public_key=b"k"
    )
    files = []
    for language in LANGUAGES:
        for key, user, verified, path in [
            ("set-up", new, False, "/account/two-step/?next=/customers/"),
            ("on", on, True, "/account/two-step/"),
            ("verify", on, False, "/accounts/login/verify/?next=/customers/"),
        ]:
            client = Client()
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            if verified:
                client.force_login(user)
            else:
                force_login_unverified(client, user)
            response = client.get(path)
            assert response.status_code == 200, (language, key)
            target = tmp_path / f"{language}-{key}.html"
            target.write_bytes(response.content)
            files.append(target)
    assert run_vnu(java, files) == []
