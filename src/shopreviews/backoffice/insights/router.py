"""The back office's insights page (docs/back-office.md "Insights"): a shop's ratings, review
requests and storefront events over a period, for the owner and staff alike. The paths are
under /backoffice, where backoffice/router.py includes them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shopreviews.backoffice.access import SignedIn
from shopreviews.backoffice.insights import service as insights_service
from shopreviews.backoffice.insights.period import CUSTOM, PRESETS, BadPeriod, parse_period
from shopreviews.backoffice.insights.view import form_values, view
from shopreviews.backoffice.web import PageRoute, render
from shopreviews.kit.dependencies import Ctx, ReadSession

router = APIRouter(include_in_schema=False, route_class=PageRoute)
TEMPLATE = "insights/page.html"


@router.get("/backoffice/insights")
async def insights(request: Request, ctx: Ctx, visitor: SignedIn, session: ReadSession) -> Response:
    # The fields are read as sent (no declared parameters): a malformed one is the page's
    # message, never a validation failure.
    asked = {name: request.query_params.get(name, "") for name in ("period", "from", "to")}
    try:
        period = parse_period(
            asked["period"], asked["from"], asked["to"], ctx.now_datetime().date()
        )
    except BadPeriod as exc:
        return render(
            request,
            TEMPLATE,
            400,
            visitor=visitor,
            form=asked,
            message=str(exc),
            presets=PRESETS,
            custom=CUSTOM,
        )
    found = await insights_service.insights(session, visitor.shop_id, period)
    return render(
        request,
        TEMPLATE,
        visitor=visitor,
        form=form_values(period, asked),
        view=view(found),
        presets=PRESETS,
        custom=CUSTOM,
    )
