"""How the review request's HTML part is shown on the preview page (decision 180).

The email's HTML carries inline styles, which the pages' policy forbids, and a `srcdoc` frame
would inherit that policy. So the HTML part is its own answer, with a policy of its own (no
script, inline styles, images of this site and data: URLs only, framed by this site's pages
alone, sandboxed even when opened directly), shown in an `<iframe sandbox>`; only the preview
page allows frames of this site. Unsaved wording travels to that answer in the frame's URL,
compressed and signed for the merchant's session, so nobody can make our site show an email
of their own wording to a merchant."""

from __future__ import annotations

import base64
import binascii
import json
import zlib

from fastapi.responses import HTMLResponse, Response

from shopreviews.kit.context import AppContext
from shopreviews.kit.crypto import same
from shopreviews.kit.html_pages import csrf_token

EMAIL_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
)
# A draft longer than this (after compression) would make the frame's URL too long for
# some servers and proxies: such a draft's HTML part is shown once saved.
MAX_DRAFT = 6000
# Decompressing never yields more than the longest wording could take (a zip bomb stops here).
_MAX_JSON = 64 * 1024


def email_answer(html: str) -> Response:
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": EMAIL_POLICY,
            "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


def allow_own_frames(response: Response) -> Response:
    """The preview page's policy, plus frames of this site (the email's HTML part)."""
    response.headers["Content-Security-Policy"] += "; frame-src 'self'"
    return response


def _signature(ctx: AppContext, session_id: str, draft: str) -> str:
    return csrf_token(ctx, "backoffice-email-preview", f"{session_id}:{draft}")


def seal_draft(ctx: AppContext, session_id: str, subject: str, text: str) -> dict[str, str] | None:
    """The frame URL's query for an unsaved wording; None when it would be too long."""
    packed = zlib.compress(json.dumps([subject, text]).encode(), 9)
    draft = base64.urlsafe_b64encode(packed).decode().rstrip("=")
    if len(draft) > MAX_DRAFT:
        return None
    return {"draft": draft, "sig": _signature(ctx, session_id, draft)}


def open_draft(ctx: AppContext, session_id: str, draft: str, sig: str) -> tuple[str, str] | None:
    """The subject and text of a draft signed for this session; None for anything else."""
    if len(draft) > MAX_DRAFT or not same(sig, _signature(ctx, session_id, draft)):
        return None
    try:
        packed = base64.urlsafe_b64decode(draft + "=" * (-len(draft) % 4))
        unpacker = zlib.decompressobj()
        raw = unpacker.decompress(packed, _MAX_JSON)
        subject, text = json.loads(raw)
    except (binascii.Error, zlib.error, ValueError, TypeError):
        return None
    if not isinstance(subject, str) or not isinstance(text, str):
        return None
    return subject, text
