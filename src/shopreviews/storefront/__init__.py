"""The storefront: public reads of reviews and ratings, SEO and the Google feed."""
