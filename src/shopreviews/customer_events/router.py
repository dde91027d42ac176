"""Partner API route of customer events (spec orders-events-customers.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from shopreviews.auth.caller import Caller
from shopreviews.auth.dependencies import Query, Session, api_caller
from shopreviews.customer_events import service as event_service
from shopreviews.customer_events.schemas import CustomerEventPage
from shopreviews.kit.envelope import Envelope
from shopreviews.kit.openapi_params import PAGE, PAGE_SIZE, param, query_doc
from shopreviews.kit.pagination import PageRequest
from shopreviews.kit.params import CREATED_SORTS

router = APIRouter(prefix="/api/v1/openapi", tags=["customer events"])

ReadCustomerEvents = Annotated[Caller, Depends(api_caller("read_customer_events"))]
_CODE_RULE = "exact match after upper-casing; 1-64 characters of A-Z a-z 0-9 _"


@router.get(
    "/get_customer_events",
    response_model=Envelope[CustomerEventPage],
    openapi_extra=query_doc(
        param("event_type", f"event type, e.g. CLICK_MEDIA ({_CODE_RULE})"),
        param("os_type", f"operating system, e.g. IOS ({_CODE_RULE})"),
        param("event_source", f"STOREFRONT, EMAIL or ADMIN ({_CODE_RULE})"),
        param("start_time", "created_at at or after this time [ext]"),
        param("end_time", "created_at at or before this time (a date alone: its end) [ext]"),
        param("sort_by", "order of the list", enum=list(CREATED_SORTS)),
        PAGE,
        PAGE_SIZE,
    ),
)
async def get_customer_events(
    caller: ReadCustomerEvents, session: Session, query: Query
) -> Envelope[CustomerEventPage]:
    """List customer events with filters, sorting and pagination (alias customer_events)."""
    flt = event_service.event_filter(query)
    page = PageRequest.from_query(query)
    return Envelope(data=await event_service.list_events(session, caller, flt, page))
