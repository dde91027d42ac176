"""The review request's preview: unsaved or saved wording, as the customer gets it, its text
escaped on our page and its HTML part in a sandboxed frame under a policy of its own."""

from __future__ import annotations

from playwright.async_api import Page, expect

from shopreviews.kit.context import AppContext
from tests.backoffice.helpers import (
    Merchant,
    form_fields,
    require_browser,
    shop_settings,
    sign_in,
    signed_in_client,
)
from tests.support.api import ShopApi
from tests.support.browser import LiveServer, axe_violations

require_browser()
PREVIEW = "/backoffice/settings/review-requests/preview"
EMAIL = "/backoffice/settings/review-requests/email"
SUBJECT = "{customer_name}, was {order_name} <right>?"
TEXT = "Dear {customer_name},\n\nWe at {shop_name} <b>love</b> feedback.\nTwo minutes & done."


async def test_an_unsaved_wording_is_previewed_then_saved(
    page: Page, ctx: AppContext, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    await sign_in(page, live.base_url, owner, "/backoffice/settings")
    form = page.locator("#review-requests")
    await form.get_by_label("Email subject").fill(SUBJECT)
    await form.get_by_label("Email text").fill(TEXT)
    await form.get_by_role("button", name="Preview the email").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Review request preview")
    shop_name = store.shop_id  # a new shop's name is its domain's first label
    await expect(page.locator("#preview-subject")).to_have_text("Jane Doe, was #1001 <right>?")
    text = await page.locator("#preview-text").text_content() or ""
    assert text.startswith(
        f"Dear Jane Doe,\n\nWe at {shop_name} <b>love</b> feedback.\nTwo minutes & done.\n"
    )
    assert "Write your review: " in text and "Unsubscribe from review requests: " in text
    assert await page.locator("#preview-text b").count() == 0  # shown as text, not markup

    frame = page.frame_locator("#preview-html")
    paragraphs = frame.locator("td > p")
    await expect(paragraphs.nth(0)).to_have_text("Dear Jane Doe,")
    await expect(paragraphs.nth(1)).to_contain_text(f"We at {shop_name} <b>love</b> feedback.")
    await expect(frame.locator("td > p b")).to_have_count(0)  # escaped in the HTML part too
    await expect(frame.get_by_role("link", name="Write a review")).to_be_visible()
    await expect(frame.get_by_role("link", name="Unsubscribe from review requests")).to_be_visible()
    assert await page.locator("#preview-html").get_attribute("sandbox") == ""
    assert await axe_violations(page) == []
    assert (await shop_settings(ctx, store.shop_id))["review_request_subject"] == ""

    await page.get_by_role("button", name="Save this wording").click()
    await expect(page.get_by_role("status")).to_have_text("The review request settings are saved.")
    stored = await shop_settings(ctx, store.shop_id)
    assert (stored["review_request_subject"], stored["review_request_text"]) == (SUBJECT, TEXT)

    # The saved wording's preview shows the same email.
    await page.get_by_role("link", name="Preview the saved email").click()
    await expect(page.locator("#preview-subject")).to_have_text("Jane Doe, was #1001 <right>?")
    await expect(page.frame_locator("#preview-html").locator("td > p").nth(0)).to_have_text(
        "Dear Jane Doe,"
    )


async def test_the_built_in_wording_is_previewed_when_none_is_saved(
    page: Page, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    await sign_in(page, live.base_url, owner, PREVIEW)
    await expect(page.locator("#preview-subject")).to_have_text(
        f"How was your order #1001 from {store.shop_id}?"
    )
    await expect(page.locator("#preview-text")).to_contain_text("Hello Jane Doe,\n\nThank you")
    await expect(page.frame_locator("#preview-html").locator("td > p").first).to_have_text(
        "Hello Jane Doe,"
    )
    assert await axe_violations(page) == []


async def test_the_html_part_has_its_own_narrow_policy_and_a_draft_must_be_signed(
    ctx: AppContext, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    async with signed_in_client(live.base_url, owner) as http:
        settings_page = await http.get("/backoffice/settings")
        fields = form_fields(settings_page.text, "/backoffice/settings/review-requests")
        body = {
            **fields,
            "review_request_delay_days": "7",
            "review_request_subject": SUBJECT,
            "review_request_text": TEXT,
        }
        preview = await http.post(PREVIEW, data=body)
        assert preview.status_code == 200
        policy = preview.headers["content-security-policy"]
        assert "frame-src 'self'" in policy and "'unsafe-inline'" not in policy
        assert "frame-src" not in settings_page.headers["content-security-policy"]
        src = preview.text.split('id="preview-html" sandbox src="', 1)[1].split('"', 1)[0]
        email = await http.get(src.replace("&amp;", "&"))
        assert email.status_code == 200
        assert email.headers["content-security-policy"] == (
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
            "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
        )
        assert email.headers["x-frame-options"] == "SAMEORIGIN"
        assert "<p>Dear Jane Doe,</p>" in email.text
        assert "&lt;b&gt;love&lt;/b&gt; feedback.<br>\nTwo minutes &amp; done." in email.text
        assert "<script" not in email.text
        # A draft changed on the way (someone else's wording) is refused.
        forged = await http.get(src.replace("&amp;", "&").replace("sig=", "sig=0"))
        assert forged.status_code == 400 and "Dear Jane" not in forged.text
        # Another session cannot use this session's frame URL either.
        async with signed_in_client(live.base_url, owner) as other:
            assert (await other.get(src.replace("&amp;", "&"))).status_code == 400
        # Without a draft: the saved (built-in) wording.
        saved = await http.get(EMAIL)
        assert "<p>Hello Jane Doe,</p>" in saved.text
    assert (await shop_settings(ctx, store.shop_id))["review_request_text"] == ""
