"""R7: the personalised link, made and checked in invitations/tokens.py."""

import string

import pytest
from django.urls import resolve
from django.utils.http import int_to_base36

from invitations import tokens
from invitations.models import Invitation, new_link_nonce
from invitations.services import invitation_create, invitation_renew_link
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator(partner):
    return factories.partner_user(partner=partner)


@pytest.fixture
def invitation(partner, creator):
    return invitation_create(partner=partner, created_by=creator, include_dap=True)


def digest_of(token):
    return token.split("-", 1)[1]


# --- Making ------------------------------------------------------------------------


def test_make_token_carries_at_least_128_bits_of_hmac(invitation):
    # R7: at least 128 bits
    digest = digest_of(tokens.make_token(invitation))
    assert set(digest) <= set(string.hexdigits.lower())
    assert len(digest) * 4 >= 128


def test_make_token_nonce_has_at_least_128_bits_from_csprng():
    # The per-invitation nonce the HMAC covers is itself unguessable.
    nonces = {new_link_nonce() for _ in range(50)}
    assert len(nonces) == 50
    assert all(len(n) * 4 >= 128 for n in nonces)


def test_make_token_is_stable_for_the_same_invitation(invitation):
    # R7: the partner re-opens the draft and sees the same link.
    reloaded = Invitation.objects.get(pk=invitation.pk)
    assert tokens.make_token(reloaded) == tokens.make_token(invitation)


def test_make_token_differs_between_invitations(partner, creator, invitation):
    other = invitation_create(partner=partner, created_by=creator, include_dap=True)
    assert digest_of(tokens.make_token(other)) != digest_of(
        tokens.make_token(invitation)
    )


def test_make_token_differs_with_same_id_and_other_nonce(invitation):
    # The digest depends on the nonce, not only on the guessable id.
    before = tokens.make_token(invitation)
    invitation.link_nonce = new_link_nonce()
    assert tokens.make_token(invitation) != before


def test_parse_token_returns_the_claimed_id(invitation):
    assert tokens.parse_token(tokens.make_token(invitation)) == invitation.pk


def test_link_for_is_absolute_under_portal_base_url(invitation, settings):
    settings.PORTAL_BASE_URL = "https://portal.example"
    link = tokens.link_for(invitation)
    assert link.startswith("https://portal.example/invitations/accept/")
    match = resolve(link.removeprefix("https://portal.example"))
    assert match.view_name == "invitations:accept"
    assert match.kwargs["token"] == tokens.make_token(invitation)


# --- Checking ----------------------------------------------------------------------


def test_check_token_accepts_the_current_token(invitation):
    assert tokens.check_token(invitation, tokens.make_token(invitation))


def test_check_token_compares_in_constant_time(invitation, monkeypatch):
    calls = []
    real = tokens.constant_time_compare

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens, "constant_time_compare", spy)
    assert tokens.check_token(invitation, tokens.make_token(invitation))
    assert len(calls) == 1


def test_check_token_after_renew_rejects_old_and_accepts_new(invitation, creator):
    # R7: "Create a new link" invalidates the old one.
    old = tokens.make_token(invitation)
    invitation_renew_link(invitation_id=invitation.pk, actor=creator)
    invitation.refresh_from_db()
    new = tokens.make_token(invitation)
    assert new != old
    assert not tokens.check_token(invitation, old)
    assert tokens.check_token(invitation, new)


def test_check_token_after_two_renewals_rejects_both_old_tokens(invitation, creator):
    seen = [tokens.make_token(invitation)]
    for _ in range(2):
        invitation_renew_link(invitation_id=invitation.pk, actor=creator)
        invitation.refresh_from_db()
        seen.append(tokens.make_token(invitation))
    assert len(set(seen)) == 3
    assert [tokens.check_token(invitation, t) for t in seen] == [False, False, True]


def tampered_tokens(token, invitation):
    id_part, digest = token.split("-")
    flipped = ("0" if digest[0] != "0" else "1") + digest[1:]
    last = "0" if digest[-1] != "0" else "1"
    return {
        "flipped first digit": f"{id_part}-{flipped}",
        "flipped last digit": f"{id_part}-{digest[:-1]}{last}",
        "upper case": f"{id_part}-{digest.upper()}",
        "truncated": f"{id_part}-{digest[:-1]}",
        "extended": f"{id_part}-{digest}0",
        "other id": f"{int_to_base36(invitation.pk + 1)}-{digest}",
        "no id": f"-{digest}",
        "no digest": f"{id_part}-",
        "two dashes": f"{id_part}--{digest}",
        "digest only": digest,
        "empty": "",
        "spaces": f" {token} ",
        "very long": token + "a" * 1000,
    }


@pytest.mark.parametrize(
    "kind",
    [
        "flipped first digit",
        "flipped last digit",
        "upper case",
        "truncated",
        "extended",
        "other id",
        "no id",
        "no digest",
        "two dashes",
        "digest only",
        "empty",
        "spaces",
        "very long",
    ],
)
def test_check_token_rejects_tampered_token(invitation, kind):
    token = tampered_tokens(tokens.make_token(invitation), invitation)[kind]
    assert not tokens.check_token(invitation, token)


def test_check_token_rejects_token_of_another_invitation(partner, creator, invitation):
    other = invitation_create(partner=partner, created_by=creator, include_dap=True)
    assert not tokens.check_token(invitation, tokens.make_token(other))
    # Another invitation's digest under this invitation's id.
    forged = f"{int_to_base36(invitation.pk)}-{digest_of(tokens.make_token(other))}"
    assert not tokens.check_token(invitation, forged)


def test_check_token_rejects_none_invitation(invitation):
    assert not tokens.check_token(None, tokens.make_token(invitation))


def test_check_token_under_different_secret_key_is_rejected(invitation, settings):
    # R7: an HMAC under the server secret; a database dump alone makes no link.
    token = tokens.make_token(invitation)
    settings.SECRET_KEY = "another-secret-key-entirely"
    assert not tokens.check_token(invitation, token)
    assert tokens.make_token(invitation) != token


def test_token_cannot_be_rebuilt_from_database_columns(invitation):
    # Everything stored about the invitation, without the server secret, does not
    # contain the digest.
    digest = digest_of(tokens.make_token(invitation))
    row = Invitation.objects.filter(pk=invitation.pk).values().get()
    assert all(digest not in str(value) for value in row.values())


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "-",
        "abc",
        "zz-zz",
        "1-" + "g" * 40,
        "1-" + "A" * 40,
        "!!-" + "a" * 40,
        "+1-" + "a" * 40,
        "1_0-" + "a" * 40,
        " 1-" + "a" * 40,
        "1-" + "a" * 39,
        "1-" + "a" * 41,
    ],
)
def test_parse_token_malformed_returns_none(bad):
    assert tokens.parse_token(bad) is None


def test_accept_url_with_tampered_token_answers_404(client, invitation):
    token = tokens.make_token(invitation)
    tampered = tampered_tokens(token, invitation)["flipped last digit"]
    response = client.get(f"/invitations/accept/{tampered}/")
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.first_opened_at is None


@pytest.mark.django_db
def test_session_proof_is_not_the_link_and_stops_matching_after_renewal():
    # R7: what the session stores cannot be turned back into a working link.
    from invitations.services import invitation_renew_link

    invitation = factories.InvitationFactory()
    token = tokens.make_token(invitation)
    proof = tokens.session_proof(token)
    assert token not in str(proof)
    assert tokens.check_session_proof(invitation, proof)
    invitation_renew_link(invitation_id=invitation.pk, actor=invitation.created_by)
    invitation.refresh_from_db()
    assert not tokens.check_session_proof(invitation, proof)
