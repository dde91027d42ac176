"""The API reference page at /docs: Swagger UI served from the installed package (no CDN) with
a panel that signs the shop's "Try it out" requests in the browser."""
