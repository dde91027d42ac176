"""What operators watch: the probes (/healthz, /readyz), the Prometheus metrics (/metrics) and
what each request tells its access line (docs/operations.md "Health and metrics", "Logs")."""
