"""Image upload memory benchmark: the peak memory of one server process under concurrent uploads
of small files that decode to huge images.

Starts a real `shopreviews serve --no-worker` process (uvicorn, loopback TCP, a temp SQLite
database and media directory), creates a shop, takes ONE image upload policy and POSTs the same
image `--uploads` times at once under it (each with its own file name, so each makes its own
key). The image is one colour, so it is tiny as a file and large in memory: by default a
7296 x 5440 (39.7 megapixel) RGB PNG of about 130 KB. The server's peak resident memory is its
VmHWM (/proc/<pid>/status), read after the uploads; its resident memory before the uploads is
given as the baseline.

Usage (from the repository root, with the package installed: pip install -e '.[test]'):

    python bench/image_memory.py [--uploads 8] [--format png|webp|jpeg] [--mode RGB|RGBA]
                                 [--size 7296x5440] [--env SHOPREVIEWS_X=value ...] [--json]

Exit status 0 when every upload was accepted, 1 otherwise. tests/media/test_image_memory.py
runs it and holds the peak under a limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from load import stop  # noqa: E402  (bench/load.py)
from tests.support import signer  # noqa: E402  (the independent request signer of the test suite)

SECRET_KEY = "image-memory-bench-key-" + "m" * 32
SHOP_ID = "9300000001"
SERVE = [sys.executable, "-m", "shopreviews.cli", "serve", "--no-worker"]


def png_one_colour(width: int, height: int, mode: str) -> bytes:
    """A PNG of one colour, built row by row: the bench itself never holds the pixels."""
    channels = {"RGB": 3, "RGBA": 4}[mode]
    pixel = bytes([200, 30, 30, 128][:channels])
    row = b"\x00" + pixel * width  # filter type 0 (None)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    colour_type = {"RGB": 2, "RGBA": 6}[mode]
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pillow_one_colour(width: int, height: int, mode: str, fmt: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    options: dict[str, Any] = {"lossless": True} if fmt == "WEBP" else {"quality": 50}
    Image.new(mode if fmt == "WEBP" else "RGB", (width, height), (200, 30, 30, 128)).save(
        out, fmt, **options
    )
    return out.getvalue()


def make_image(fmt: str, width: int, height: int, mode: str) -> tuple[bytes, str, str]:
    """(bytes, file extension, Content-Type)"""
    if fmt == "png":
        return png_one_colour(width, height, mode), "png", "image/png"
    if fmt == "webp":
        return pillow_one_colour(width, height, mode, "WEBP"), "webp", "image/webp"
    return pillow_one_colour(width, height, mode, "JPEG"), "jpg", "image/jpeg"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def memory_mb(pid: int, field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of a process, in MB (10^6 bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / 1_000_000
    raise RuntimeError(f"no {field} for process {pid}")


def shopreviews(workdir: Path, env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "shopreviews.cli", *args, "--json"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


@contextlib.contextmanager
def server(workdir: Path, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """`shopreviews serve --no-worker` in `workdir`; yields (base URL, pid) once it answers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = workdir / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [*SERVE, "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env={**env, "SHOPREVIEWS_PUBLIC_URL": base},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the server exited:\n{log_path.read_text()}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(base + "/", trust_env=False, timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not answer:\n{log_path.read_text()}")
                time.sleep(0.1)
            yield base, proc.pid  # one uvicorn process: `serve` runs it in-process
        finally:
            stop(proc, timeout=20)


def upload_policy(base: str, shop: dict[str, Any]) -> dict[str, Any]:
    stamp = str(int(time.time()))
    response = httpx.get(
        f"{base}/api/v1/openapi/get_image_upload_policy_token",
        headers={
            "Public-Token": shop["public_token"],
            "Timestamp": stamp,
            "Sign": signer.sign(shop["private_token"], stamp, []),
        },
        trust_env=False,
        timeout=30,
    )
    envelope: dict[str, Any] = response.json()
    if envelope["code"] != 0:
        raise RuntimeError(f"no upload policy: {envelope}")
    data: dict[str, Any] = envelope["data"]
    return data


async def upload_all(
    policy: dict[str, Any], image: bytes, extension: str, content_type: str, count: int
) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(trust_env=False, timeout=300) as client:

        async def one(i: int) -> dict[str, Any]:
            response = await client.post(
                policy["upload_url"],
                data=policy["fields"],
                files={"file": (f"huge-{i}.{extension}", image, content_type)},
            )
            envelope: dict[str, Any] = response.json()
            return envelope

        return list(await asyncio.gather(*(one(i) for i in range(count))))


def run(
    *, uploads: int, fmt: str, mode: str, size: tuple[int, int], extra_env: dict[str, str]
) -> dict[str, Any]:
    image, extension, content_type = make_image(fmt, *size, mode)
    with tempfile.TemporaryDirectory(prefix="image-memory-") as tmp:
        workdir = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPREVIEWS_")}
        env.update(
            {
                "SHOPREVIEWS_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
                "SHOPREVIEWS_MEDIA_DIR": str(workdir / "media"),
                "SHOPREVIEWS_SECRET_KEY": SECRET_KEY,
                "SHOPREVIEWS_RATE_LIMITS_ENABLED": "false",
                "SHOPREVIEWS_LOG_LEVEL": "WARNING",
                **extra_env,
            }
        )
        shop = shopreviews(
            workdir, env, "shop", "create", "--shop-id", SHOP_ID, "--domain", "mem.myshopify.com"
        )
        with server(workdir, env) as (base, pid):
            policy = upload_policy(base, shop)
            baseline = memory_mb(pid, "VmRSS")
            started = time.monotonic()
            answers = asyncio.run(upload_all(policy, image, extension, content_type, uploads))
            seconds = time.monotonic() - started
            peak = memory_mb(pid, "VmHWM")
    return {
        "image": {
            "format": fmt,
            "mode": mode,
            "size": f"{size[0]}x{size[1]}",
            "megapixels": round(size[0] * size[1] / 1e6, 1),
            "bytes": len(image),
        },
        "uploads": uploads,
        "settings": extra_env,
        "baseline_rss_mb": round(baseline),
        "peak_rss_mb": round(peak),
        "seconds": round(seconds, 2),
        "answers": [
            {"code": a["code"], "message": a.get("message"), "data": a.get("data")} for a in answers
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=8)
    parser.add_argument("--format", choices=["png", "webp", "jpeg"], default="png")
    parser.add_argument("--mode", choices=["RGB", "RGBA"], default="RGB")
    parser.add_argument("--size", default="7296x5440", help="WIDTHxHEIGHT")
    parser.add_argument("--env", action="append", default=[], help="SHOPREVIEWS_X=value")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.lower().split("x"))
    extra_env = dict(item.split("=", 1) for item in args.env)
    result = run(
        uploads=args.uploads,
        fmt=args.format,
        mode=args.mode,
        size=(width, height),
        extra_env=extra_env,
    )
    accepted = sum(a["code"] == 0 for a in result["answers"])
    if args.json:
        print(json.dumps(result))
    else:
        image = result["image"]
        print(
            f"{result['uploads']} concurrent uploads of a {image['megapixels']} MP {image['mode']} "
            f"{image['format']} of {image['bytes']} bytes: {accepted} accepted in "
            f"{result['seconds']} s; server RSS {result['baseline_rss_mb']} MB before, "
            f"peak {result['peak_rss_mb']} MB"
        )
        for answer in result["answers"]:
            if answer["code"] != 0:
                print(f"  refused: code {answer['code']}: {answer['message']}")
    sys.exit(0 if accepted == result["uploads"] else 1)


if __name__ == "__main__":
    main()
