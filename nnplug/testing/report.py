"""The outcome of a conformance kit: named checks, each passed or failed with a one-line
reason (every check runs even when an earlier one fails)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Check:
    """One named conformance check and its outcome."""

    name: str
    passed: bool
    detail: str = ""


@dataclass
class Report:
    """All checks run on one component; ``max_error`` is the worst gradient error."""

    component: str
    checks: list[Check] = field(default_factory=list)
    max_error: float = 0.0

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def raise_for_failures(self) -> Report:
        if self.failures:
            lines = [f"  {c.name}: {c.detail}" for c in self.failures]
            raise AssertionError(
                f"{self.component} fails {len(lines)} conformance check(s):\n" + "\n".join(lines)
            )
        return self

    def run(self, name: str, fn: Callable[[], str | None]) -> None:
        """Run ``fn``; an exception (AssertionError or any other) marks the check failed."""
        try:
            self.checks.append(Check(name, True, fn() or ""))
        except Exception as exc:  # noqa: BLE001 - every failure is reported, not raised
            reason = (str(exc).strip().splitlines() or [""])[0]
            if not isinstance(exc, AssertionError):
                reason = f"{type(exc).__name__}: {reason}".rstrip(": ")
            self.checks.append(Check(name, False, reason))


def expect(condition: Any, message: str) -> None:
    """Raise ``AssertionError(message)`` unless ``condition``."""
    if not condition:
        raise AssertionError(message)


__all__ = ["Check", "Report", "expect"]
