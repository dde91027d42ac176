"""ShopReviews: a self-hostable product reviews platform with a Trustoo-compatible partner API."""

__version__ = "0.1.0"
