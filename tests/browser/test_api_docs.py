"""R39: the API docs (Swagger UI from drf-spectacular-sidecar, no CDN) render
under the portal's Content Security Policy (script-src 'self'): the page
fixture fails on any console error, a CSP violation included."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_api_docs_render_every_operation(page, transactional_db, live_server):
    outside = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(live_server.url)
            else outside.append(request.url)
        ),
    )
    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Reseller portal API"
    )
    operations = page.locator(".swagger-ui .opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() > 3
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    # One operation opens, with its problem+json errors documented.
    page.locator(".opblock-summary", has_text="/api/v1/customers/").first.click()
    expect(page.locator(".swagger-ui .responses-wrapper").first).to_contain_text("429")
    assert outside == []
