"""R29: the client address, trusting only TRUSTED_PROXY_COUNT proxies."""

import pytest
from django.test import RequestFactory

from core.client_ip import client_ip, throttle_address

SOCKET = "10.0.0.2"  # the nearest proxy, or the client itself


def request(forwarded=None, remote=SOCKET):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_proxies_a_forged_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request("198.51.100.1")) == SOCKET
    assert client_ip(request("198.51.100.1, 198.51.100.2")) == SOCKET


def test_one_proxy_trusts_only_the_entry_it_appended(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client sent "X-Forwarded-For: 198.51.100.1"; the proxy appended the
    # address it saw (203.0.113.9): a forged entry never becomes the client.
    assert client_ip(request("198.51.100.1, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(request("203.0.113.9")) == "203.0.113.9"
    # Each guess with a fresh forged entry still counts as the same client.
    forged = {client_ip(request(f"198.51.100.{n}, 203.0.113.9")) for n in range(20)}
    assert forged == {"203.0.113.9"}


def test_two_proxies_count_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    header = "198.51.100.1, 203.0.113.9, 10.0.0.1"
    assert client_ip(request(header)) == "203.0.113.9"


def test_fewer_entries_than_proxies_or_none(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request("203.0.113.9")) == "203.0.113.9"
    assert client_ip(request()) == SOCKET
    assert client_ip(request(" , ")) == SOCKET
    assert client_ip(request("")) == SOCKET


def test_a_trailing_comma_cannot_shift_a_forged_entry_into_place(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request("198.51.100.1,, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(request("198.51.100.1, ")) == SOCKET


@pytest.mark.parametrize("entry", ["unknown", "not an address", "999.1.1.1", ""])
def test_an_entry_that_is_no_address_falls_back_to_the_socket(settings, entry):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request(f"198.51.100.1, {entry}")) == SOCKET


@pytest.mark.parametrize(
    ("entry", "address"),
    [
        ("203.0.113.9:5123", "203.0.113.9"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
    ],
)
def test_entries_are_normalised(settings, entry, address):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request(entry)) == address


def test_no_request_has_no_address():
    assert client_ip(None) == ""


def test_ipv6_clients_are_throttled_per_64():
    assert throttle_address("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert throttle_address("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert throttle_address("203.0.113.9") == "203.0.113.9"
    assert throttle_address("") == ""
