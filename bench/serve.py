"""`shopreviews serve` with the benchmark routes (GET /bench/ceiling, bench/routes.py), for
bench/scenarios.py. The same command otherwise: settings from the environment, migrations on
start, the same HTTP server and limits, the webhook worker inside unless --no-worker.

    python bench/serve.py [--host 127.0.0.1] [--port 8000] [--no-worker]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # `bench.app`, imported by uvicorn from the factory string

from shopreviews.cli import serve_app  # noqa: E402
from shopreviews.kit.cli import load_settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-worker", action="store_true", help="no webhook worker inside")
    args = parser.parse_args()
    settings = load_settings(**({"run_worker": False} if args.no_worker else {}))
    serve_app(settings, args.host, args.port, 1, factory="bench.app:create_bench_app")


if __name__ == "__main__":
    main()
