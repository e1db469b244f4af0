"""Ctrl-C during an estimator's ``fit``: the first one stops training after the current
step and ``fit`` returns the best model so far with a warning, as scikit-learn's
``MLPClassifier`` does; a second one stops at once (the Solver's handler,
:mod:`nnplug.nn.signals`). Inside a scikit-learn model selection (``GridSearchCV``,
``cross_validate`` ...) the first one stops the whole search: its next fit would otherwise
start at once."""

from __future__ import annotations

import signal
import sys
import warnings
from typing import Any

from nnplug.nn.signals import Interrupted


def in_search() -> bool:
    """Is this call inside one of scikit-learn's model selections?"""
    frame = sys._getframe(1)
    while frame is not None:
        if str(frame.f_globals.get("__name__", "")).startswith("sklearn.model_selection"):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def interrupted(run: Any) -> None:
    """After a fit that a signal stopped (``run.metrics["interrupted"]``): SIGTERM is
    delivered again, now that the fit's handler is gone (it ends the process, as it would
    have); inside a model selection, :class:`~nnplug.nn.signals.Interrupted`; else a
    ``UserWarning``."""
    signum = run.solver.stop_signal
    if signum == signal.SIGTERM:
        signal.raise_signal(signum)
    elif in_search():
        raise Interrupted(signal.SIGINT)
    best = run.metrics["best_epoch"]
    kept = f"kept the best model so far (epoch {best})" if best else "no epoch completed"
    warnings.warn(
        f"Training interrupted by user at {run.metrics['interrupted']}; {kept}",
        UserWarning,
        stacklevel=3,
    )


__all__ = ["in_search", "interrupted"]
