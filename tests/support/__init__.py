"""What the test packages share: signed API calls and envelope checks (api), the independent
request signer (signer) and the contract's vectors (vectors), and one module per domain whose
helpers more than one test package uses. A package's own helpers live in its helpers.py."""
