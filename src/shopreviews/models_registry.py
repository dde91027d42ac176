"""Imports every domain's models so Base.metadata knows all tables (migrations, test setup)."""

from __future__ import annotations

from shopreviews.customer_events import models as _customer_events  # noqa: F401
from shopreviews.customers import models as _customers  # noqa: F401
from shopreviews.emails import models as _emails  # noqa: F401
from shopreviews.kit import outbox as _outbox  # noqa: F401
from shopreviews.kit.models import Base
from shopreviews.media import models as _media  # noqa: F401
from shopreviews.merchants import models as _merchants  # noqa: F401
from shopreviews.oauth import models as _oauth  # noqa: F401
from shopreviews.orders import models as _orders  # noqa: F401
from shopreviews.platforms import models as _platforms  # noqa: F401
from shopreviews.reviews import models as _reviews  # noqa: F401
from shopreviews.shops import models as _shops  # noqa: F401
from shopreviews.webhooks import models as _webhooks  # noqa: F401

metadata = Base.metadata
