"""Web reviews: reviews written by shoppers on a shop's own pages (docs/storefront.md)."""
