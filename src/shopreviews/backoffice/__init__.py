"""The merchant back office: server-rendered pages to moderate, reply and configure."""
