"""Partner API routes of unsubscribes and exclusions (docs/api.md, "Orders, customer
events and customers")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from shopreviews.auth.caller import Caller
from shopreviews.auth.dependencies import api_caller
from shopreviews.customers import service as customer_service
from shopreviews.customers.repository import EXCLUSION_SORTS, ExclusionFilter
from shopreviews.customers.schemas import (
    CustomerExclusionOut,
    CustomerExclusionPage,
    ExclusionIn,
    ExclusionKeyIn,
    UnsubscribeIn,
    UnsubscribeOut,
)
from shopreviews.kit.dependencies import Ctx, Query, ReadSession, WriteSession
from shopreviews.kit.email_address import parse_email
from shopreviews.kit.envelope import Envelope, InvalidArgument, NotFound
from shopreviews.kit.openapi_params import PAGE, PAGE_SIZE, param, query_doc
from shopreviews.kit.pagination import PageRequest
from shopreviews.kit.params import QueryParams, parse_external_id
from shopreviews.kit.routes import legacy_path, refuses

router = APIRouter(tags=["customers"])

ReadCustomers = Annotated[Caller, Depends(api_caller("read_customers"))]
WriteCustomers = Annotated[Caller, Depends(api_caller("write_customers"))]


@router.post("/api/v1/openapi/email_unsubscribe", response_model=Envelope[UnsubscribeOut])
async def email_unsubscribe(
    body: UnsubscribeIn, caller: WriteCustomers, session: WriteSession, ctx: Ctx
) -> Envelope[UnsubscribeOut]:
    """Stop one type of email (or all) to an address; an existing opt-out is kept unchanged."""
    record = await customer_service.unsubscribe(session, caller, body, now=ctx.now_datetime())
    return Envelope(data=record)


@router.post(
    "/api/v1/openapi/create_customer_exclude", response_model=Envelope[CustomerExclusionOut]
)
async def create_customer_exclude(
    body: ExclusionIn, caller: WriteCustomers, session: WriteSession, ctx: Ctx
) -> Envelope[CustomerExclusionOut]:
    """Stop review requests to a customer, by customer_id and/or email (idempotent)."""
    record = await customer_service.create_exclusion(session, caller, body, now=ctx.now_datetime())
    return Envelope(data=record)


@router.post(
    "/api/v1/openapi/delete_customer_exclude", response_model=Envelope[CustomerExclusionOut]
)
@refuses(NotFound)
async def delete_customer_exclude(
    body: ExclusionKeyIn, caller: WriteCustomers, session: WriteSession
) -> Envelope[CustomerExclusionOut]:
    """Remove an exclusion by customer_id or email; unsubscribes are not affected."""
    return Envelope(data=await customer_service.delete_exclusion(session, caller, body))


def exclusion_filter(query: QueryParams) -> ExclusionFilter:
    email = query.scalar("email")
    customer_id = query.scalar("customer_id")
    sort_by = query.scalar("sort_by") or "created-descending"
    if sort_by not in EXCLUSION_SORTS:
        raise InvalidArgument(f"sort_by must be one of {', '.join(EXCLUSION_SORTS)}")
    return ExclusionFilter(
        email=None if email is None else parse_email(email),
        customer_id=None if customer_id is None else parse_external_id(customer_id, "customer_id"),
        sort_by=sort_by,
    )


@router.get(
    "/api/v1/openapi/get_customer_excludes",
    response_model=Envelope[CustomerExclusionPage],
    openapi_extra=query_doc(
        param("email", "exact address, case-insensitive"),
        param("customer_id", "exact customer id [ext]"),
        param("sort_by", "order of the list", enum=list(EXCLUSION_SORTS)),
        PAGE,
        PAGE_SIZE,
    ),
)
@legacy_path("/api/v1/openapi/get_customer_exclude_list")
async def get_customer_excludes(
    caller: ReadCustomers, session: ReadSession, query: Query
) -> Envelope[CustomerExclusionPage]:
    """List the shop's exclusions with pagination (alias get_customer_exclude_list)."""
    flt = exclusion_filter(query)
    page = PageRequest.from_query(query)
    return Envelope(data=await customer_service.list_exclusions(session, caller, flt, page))
