"""Response models of get_orders and the order intake."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shopreviews.kit.pagination import Pagination


class OrderOut(BaseModel):
    order_id: str = Field(examples=["5512345678901"])
    order_name: str = Field(examples=["#1001"])
    customer_id: str = Field(examples=["7712345678901"])
    customer_email: str = Field(examples=["jane@example.com"])
    customer_name: str = Field(examples=["Jane Doe"])
    status: int = Field(examples=[3], description="1 Waiting … 6 Cancelled")
    scheduled_at: str = Field(examples=["2026-06-08T09:00:00Z"])
    sent_at: str = Field(examples=["2026-06-08T09:00:04Z"])
    created_at: str = Field(examples=["2026-06-01T14:22:10Z"])


class OrderPage(BaseModel):
    page: Pagination
    list: list[OrderOut]


class OrderReceived(BaseModel):
    order_id: str = Field(examples=["5512345678901"])
    status: int = Field(examples=[1])
