"""What more than one test package uses (a package's own helpers are in its helpers.py, and
conftest.py files hold fixtures and hooks only):

- api: the session's shops and their signed calls, and the envelope checks; signer and vectors:
  the independent request signer and the contract's signature vectors;
- one module per domain whose helpers several packages use: reviews, oauth, merchants,
  webhooks, customer_events, admin;
- the programs the tests run: the operator CLI in process or as the console script (cli) on
  fresh databases (databases), `shopreviews serve` in a subprocess (live_serve), the webhook
  receiver process (receiver), the app in uvicorn driven by Chromium (browser), an app with
  rate limits on (limited_app), moto's S3-compatible server (moto), and what starting a
  program needs (programs).
"""
