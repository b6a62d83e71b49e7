"""Fault injection, changeable while the sandbox runs.

* ``latency``: seconds added to every ``/api`` call, the token call included.
* ``error_rates``: ``{status: probability}``; a 429 or 503 drawn this way carries
  ``Retry-After: retry_after``.
* ``drop_rate``: probability of closing the connection without answering (the call has
  no effect); ``lost_reply_rate``: the same after the call took effect (only the answer is
  lost, so a client's retry repeats a call that succeeded).
* ``slow_rate``: probability of adding ``slow_delay`` seconds (to trip client timeouts).
* One-shot rules for deterministic tests: :meth:`Faults.fail_next`, :meth:`Faults.burst_429`,
  :meth:`Faults.drop_next` (before or after the call took effect), :meth:`Faults.delay_next`.
* :meth:`Faults.injected` counts the faults dealt since the last :meth:`Faults.clear`, by
  kind (the status code, ``drop``, ``lost_reply``, ``slow``, ``delay``), for reports.

Rates and rules apply to the API calls whose path matches ``path`` (a case-insensitive
regular expression); by default to every call except the token endpoint, which Omnium
excludes from its rate limits. Draws come from a ``random.Random`` seeded by
:meth:`Faults.seed`, so a sequence of calls meets the same faults every run.
"""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from dataclasses import dataclass

DEFAULT_SCOPE = re.compile(r"^/api/(?!token\b)", re.IGNORECASE)


@dataclass
class Rule:
    kind: str  # "status" | "drop" | "delay"
    remaining: int
    path: re.Pattern | None = None
    status: int = 0
    retry_after: float | None = None
    after: bool = False  # drop: after the call took effect (the answer is lost)
    delay: float = 0.0


@dataclass
class Decision:
    delay: float = 0.0
    status: int | None = None
    retry_after: float | None = None
    drop: bool = False
    drop_after: bool = False


class Faults:
    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.clear()

    def clear(self) -> None:
        """No faults at all (latency included)."""
        with self._lock:
            self.latency = 0.0
            self.error_rates: dict[int, float] = {}
            self.drop_rate = 0.0
            self.lost_reply_rate = 0.0
            self.slow_rate = 0.0
            self.slow_delay = 5.0
            self.retry_after: float = 1.0
            self.path: re.Pattern | None = None
            self._rules: list[Rule] = []
            self._injected: Counter[str] = Counter()

    def seed(self, value: int | None) -> None:
        with self._lock:
            self._rng = random.Random(value)

    def configure(
        self,
        *,
        latency: float | None = None,
        error_rates: dict | None = None,
        drop_rate: float | None = None,
        lost_reply_rate: float | None = None,
        slow_rate: float | None = None,
        slow_delay: float | None = None,
        retry_after: float | None = None,
        path: str | None = None,
    ) -> None:
        """Set any of the rates (``None`` leaves a value as it is)."""
        with self._lock:
            if latency is not None:
                self.latency = float(latency)
            if error_rates is not None:
                self.error_rates = {int(k): float(v) for k, v in error_rates.items() if float(v)}
            if drop_rate is not None:
                self.drop_rate = float(drop_rate)
            if lost_reply_rate is not None:
                self.lost_reply_rate = float(lost_reply_rate)
            if slow_rate is not None:
                self.slow_rate = float(slow_rate)
            if slow_delay is not None:
                self.slow_delay = float(slow_delay)
            if retry_after is not None:
                self.retry_after = float(retry_after)
            if path is not None:
                self.path = re.compile(path, re.IGNORECASE) if path else None

    def _add(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    @staticmethod
    def _pattern(path: str | None) -> re.Pattern | None:
        return re.compile(path, re.IGNORECASE) if path else None

    def fail_next(
        self,
        status: int,
        count: int = 1,
        *,
        path: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer ``status`` to the next ``count`` matching calls (any status, 401 too)."""
        self._add(Rule("status", count, self._pattern(path), int(status), retry_after))

    def burst_429(self, count: int, retry_after: float = 2, *, path: str | None = None) -> None:
        """The next ``count`` calls are rate limited with ``Retry-After: retry_after``."""
        self.fail_next(429, count, path=path, retry_after=retry_after)

    def drop_next(
        self, count: int = 1, *, path: str | None = None, after_processing: bool = False
    ) -> None:
        """Close the connection of the next ``count`` calls without an answer; with
        ``after_processing`` the call takes effect first (only the answer is lost)."""
        self._add(Rule("drop", count, self._pattern(path), after=after_processing))

    def delay_next(self, seconds: float, count: int = 1, *, path: str | None = None) -> None:
        """Add ``seconds`` to the next ``count`` calls (to trip a client's read timeout)."""
        self._add(Rule("delay", count, self._pattern(path), delay=float(seconds)))

    def injected(self) -> dict[str, int]:
        """Faults dealt since the last :meth:`clear`, by kind."""
        with self._lock:
            return dict(self._injected)

    def decide(self, path: str) -> Decision:
        """What happens to one call to ``path``."""
        with self._lock:
            decision = self._decide(path)
            if decision.status:
                self._injected[str(decision.status)] += 1
            if decision.drop:
                self._injected["drop"] += 1
            if decision.drop_after:
                self._injected["lost_reply"] += 1
            return decision

    def _decide(self, path: str) -> Decision:
        decision = Decision(delay=self.latency)
        for rule in self._rules:
            scope = rule.path or DEFAULT_SCOPE
            if not scope.search(path):
                continue
            rule.remaining -= 1
            if rule.kind == "status":
                decision.status, decision.retry_after = rule.status, rule.retry_after
            elif rule.kind == "drop":
                decision.drop, decision.drop_after = not rule.after, rule.after
            else:
                decision.delay += rule.delay
                self._injected["delay"] += 1
            break
        self._rules = [r for r in self._rules if r.remaining > 0]
        if decision.status or decision.drop or decision.drop_after:
            return decision
        if not (self.path or DEFAULT_SCOPE).search(path):
            return decision
        if self.slow_rate and self._rng.random() < self.slow_rate:
            decision.delay += self.slow_delay
            self._injected["slow"] += 1
        if self.drop_rate and self._rng.random() < self.drop_rate:
            decision.drop = True
            return decision
        if self.lost_reply_rate and self._rng.random() < self.lost_reply_rate:
            decision.drop_after = True
            return decision
        if self.error_rates:
            draw = self._rng.random()
            for status, rate in sorted(self.error_rates.items()):
                if draw < rate:
                    decision.status = status
                    if status in (429, 503):
                        decision.retry_after = self.retry_after
                    break
                draw -= rate
        return decision
