"""Helpers shared by the test modules (one copy each)."""

from django.urls import reverse

from invitations import tokens


def text(response) -> str:
    """The body of a response, as text."""
    return response.content.decode()


def admin_url(model, view="changelist", *args) -> str:
    """An admin page of ``model``: its changelist, or ``"change"`` with a pk."""
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def accept_path(invitation=None, *, token=None) -> str:
    """The path of an invitation's emailed link (R7)."""
    token = token or tokens.make_token(invitation)
    return reverse("invitations:accept", kwargs={"token": token})


def open_link(client, invitation) -> str:
    """Open the emailed link; return the experience page it sends the visitor to."""
    response = client.get(accept_path(invitation))
    assert response.status_code == 302, response.status_code
    return response["Location"]


def assert_problem(response, status: int, code: str) -> dict:
    """An API error (R39): ``application/problem+json`` with this status and
    stable ``code``, and a human ``detail``; returns the body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status and body["detail"]
    return body
