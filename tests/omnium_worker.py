"""A worker process for the client tests: calls Omnium through ``get_client`` like an
engine worker does, after a shared start signal so that workers really start together.

``python -m tests.omnium_worker --extension 3 --ready-dir D --go-file F --calls 5``
prints one JSON line: ``{"pid", "ok", "errors"}``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_workers(
    env: dict[str, str], extension_pk: int, count: int, tmp_path: Path, **options: object
) -> list[dict]:
    """Start ``count`` worker processes, let them all import Django and load the tenant,
    then start them at once; returns each worker's JSON report."""
    ready, go = tmp_path / "ready", tmp_path / "go"
    ready.mkdir()
    command = [sys.executable, "-m", "tests.omnium_worker", "--extension", str(extension_pk)]
    command += ["--ready-dir", str(ready), "--go-file", str(go)]
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(count)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(list(ready.iterdir())) < count:
            if any(w.poll() is not None for w in workers) or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        go.touch()
        reports = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            lines = out.decode().strip().splitlines()
            if worker.returncode != 0 or not lines:
                raise AssertionError(f"worker failed ({worker.returncode}): {out!r} {err!r}")
            reports.append(json.loads(lines[-1]))
        return reports
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--extension", type=int, required=True)
    parser.add_argument("--ready-dir", required=True)
    parser.add_argument("--go-file", required=True)
    parser.add_argument("--calls", type=int, default=1, help="calls per thread")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-concurrent", type=int, default=None)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import override_settings

    from omnium_integration.client import get_client
    from omnium_integration.models import TenantExtension

    if args.max_concurrent:
        override_settings(
            OMNIUM_INTEGRATION={
                **settings.OMNIUM_INTEGRATION,
                "MAX_CONCURRENT_CALLS_PER_TENANT": args.max_concurrent,
            }
        ).enable()
    extension = TenantExtension.objects.get(pk=args.extension)

    Path(args.ready_dir, str(os.getpid())).touch()
    deadline = time.monotonic() + 60
    while not Path(args.go_file).exists():
        if time.monotonic() > deadline:
            print(json.dumps({"pid": os.getpid(), "ok": 0, "errors": ["no start signal"]}))
            return 1
        time.sleep(0.005)

    ok, errors = 0, []
    lock = threading.Lock()

    def work() -> None:
        nonlocal ok
        client = get_client(extension)
        for i in range(args.calls):
            try:
                client.get_order(f"missing-{os.getpid()}-{i}")
            except Exception as exc:  # reported to the test, which fails on any
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
            else:
                with lock:
                    ok += 1

    threads = [threading.Thread(target=work) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"pid": os.getpid(), "ok": ok, "errors": errors}))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
