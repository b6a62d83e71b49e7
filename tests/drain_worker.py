"""A sync-engine worker process for the proof tests: ``worker.drain`` in a loop.

It is what a django-q2 worker does when it runs the drain task (``tasks.drain``), without
waiting for a kick or the sweeper schedule: whenever nothing is due it pauses briefly and
looks again, so retries run as soon as the (compressed) retry table makes them due.

``python -m tests.drain_worker --queue Q --stats FILE --ready-dir D --go-file F
[--settings JSON]`` signals readiness by creating a file in D, starts draining when F
exists (so several workers really start together), stops on SIGTERM (``devstack.stop``)
after the batch in hand, and writes its totals as JSON to FILE. ``--settings`` overrides
keys of ``OMNIUM_INTEGRATION`` (e.g. ``{"READ_TIMEOUT": 0.5}``); ``OMNIUM_TIME_SCALE`` and
``OMNIUM_LEASE_SECONDS`` come from the environment, as for ``qcluster``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from flow_stub_project.devstack import ROOT, stop, wait_for

IDLE_PAUSE = 0.02  # seconds between looks when nothing is due


class DrainWorkers:
    """``count`` worker processes on ``queue``, started together; stopped with SIGTERM."""

    def __init__(
        self,
        count: int,
        queue: str,
        *,
        env: dict[str, str],
        directory: Path,
        settings: dict[str, Any] | None = None,
    ):
        self.directory = directory
        self.ready, self.go = directory / "ready", directory / "go"
        self.ready.mkdir(parents=True)
        self.stats_files = [directory / f"worker-{n}.json" for n in range(count)]
        self.logs = [(directory / f"worker-{n}.log").open("w") for n in range(count)]
        command = [sys.executable, "-m", "tests.drain_worker", "--queue", queue]
        command += ["--ready-dir", str(self.ready), "--go-file", str(self.go)]
        command += ["--settings", json.dumps(settings or {})]
        self.processes = [
            subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [*command, "--stats", str(stats)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # devstack.kill takes the whole group
            )
            for stats, log in zip(self.stats_files, self.logs, strict=True)
        ]

    def start(self, timeout: float = 60) -> None:
        """Wait until every worker has loaded Django, then let them all go."""
        wait_for(
            lambda: self.dead() or len(list(self.ready.iterdir())) == len(self.processes), timeout
        )
        self.check()
        self.go.touch()

    def dead(self) -> list[int]:
        return [p.pid for p in self.processes if p.poll() is not None]

    def check(self) -> None:
        """Fail with the workers' output if one of them has exited."""
        if self.dead():
            raise AssertionError(f"a drain worker exited early:\n{self.output()}")

    def output(self) -> str:
        for log in self.logs:
            log.flush()
        return "\n".join(
            (self.directory / f"worker-{n}.log").read_text() for n in range(len(self.logs))
        )

    def stop(self) -> list[dict[str, Any]]:
        """Stop every worker (SIGTERM, after its batch) and return each one's totals."""
        for process in self.processes:
            stop(process, timeout=30)
        for log in self.logs:
            log.close()
        codes = [p.returncode for p in self.processes]
        if any(codes):
            raise AssertionError(f"drain workers exited with {codes}:\n{self.output()}")
        return [json.loads(path.read_text()) for path in self.stats_files]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queue", required=True)
    parser.add_argument("--stats", required=True)
    parser.add_argument("--ready-dir", required=True)
    parser.add_argument("--go-file", required=True)
    parser.add_argument("--settings", default="{}")
    args = parser.parse_args()

    stopping = False

    def on_sigterm(signum, frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_sigterm)

    import django

    django.setup()
    from django.conf import settings
    from django.db import close_old_connections
    from django.test.utils import override_settings

    from omnium_integration.jobs import worker

    overrides = json.loads(args.settings)
    if overrides:
        override_settings(OMNIUM_INTEGRATION={**settings.OMNIUM_INTEGRATION, **overrides}).enable()

    Path(args.ready_dir, str(os.getpid())).touch()
    while not Path(args.go_file).exists() and not stopping:
        time.sleep(0.005)

    totals: dict[str, int] = {}
    me = worker.worker_name()
    started = time.monotonic()
    while not stopping:
        # A short budget: a worker told to stop stops within a few seconds.
        stats = worker.drain(args.queue, worker=me, time_budget=2.0)
        for name, value in stats.as_dict().items():
            totals[name] = totals.get(name, 0) + int(value)
        if not stats.claimed:  # nothing due: look again shortly
            time.sleep(IDLE_PAUSE)
    close_old_connections()
    totals["seconds"] = round(time.monotonic() - started, 2)
    Path(args.stats).write_text(json.dumps({"pid": os.getpid(), "worker": me, **totals}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
