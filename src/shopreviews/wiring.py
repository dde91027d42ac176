"""Where the domains are connected to each other: the outbox's fan-out and every signal
receiver (kit/outbox.py, kit/signals.py), registered here and nowhere else.

A domain announces what happened; which domain reacts is decided here, so a reader finds every
cross-domain reaction in one screen. Each process calls `connect_domains()` when it is
assembled (main.create_app, the worker, the CLI); calling it again changes nothing.
"""

from __future__ import annotations

from shopreviews.kit import outbox, signals
from shopreviews.merchants import service as merchants
from shopreviews.oauth import service as oauth
from shopreviews.orders import service as orders
from shopreviews.reviews import service as reviews
from shopreviews.shops import service as shops
from shopreviews.webhooks import service as webhooks


def connect_domains() -> None:
    # Every event recorded in the outbox becomes webhook deliveries in the same transaction.
    outbox.connect_fan_out(webhooks.fan_out)
    # A new review-request delay re-plans the shop's waiting requests.
    signals.connect(shops.ReviewDelayChanged, orders.on_review_delay_changed)
    # A disabled shop's merchants are signed out.
    signals.connect(shops.ShopDisabled, merchants.on_shop_disabled)
    # Products named by orders (Shopify line items, imports) fill the review catalogue (sku).
    signals.connect(orders.OrderProductsSeen, reviews.on_order_products)
    # The grant lifecycle reaches the platform as system webhooks; an ended grant also takes
    # the platform's subscriptions for the shop with it.
    signals.connect(oauth.GrantApproved, webhooks.on_grant_approved)
    signals.connect(oauth.GrantEnded, webhooks.on_grant_ended)
    signals.connect(oauth.TokensRevoked, webhooks.on_tokens_revoked)
