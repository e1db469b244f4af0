"""``--plot FILE.png``: loss and train/val metric curves per epoch (needs matplotlib,
the optional ``plot`` extra: ``pip install 'nnplug[plot]'``)."""

from __future__ import annotations

import os
from typing import Any

from nnplug.errors import NNPlugError
from nnplug.safeio.outputs import atomic_write

INSTALL_HINT = "--plot needs matplotlib; install it with: pip install 'nnplug[plot]'"


def require_matplotlib() -> None:
    """Fail early (before training) with a one-line hint when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise NNPlugError(INSTALL_HINT) from None


def check_target(path: str | os.PathLike) -> None:
    """The plot format comes from the suffix; refuse one matplotlib cannot write."""
    suffix = os.path.splitext(str(path))[1].lower().lstrip(".")
    if suffix not in ("png", "svg", "pdf"):
        raise NNPlugError(f"--plot {path}: use a .png, .svg or .pdf file name")


def plot_history(
    history: list[dict[str, Any]],
    path: str | os.PathLike,
    *,
    metric: str = "accuracy",
    title: str = "",
    best_epoch: int = 0,
) -> None:
    """Two panels: train/val loss and train/val ``metric`` against the epoch; written
    atomically in the format the suffix names."""
    require_matplotlib()
    check_target(path)
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    epochs = [h["epoch"] for h in history]
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_metric = fig.subplots(1, 2)
    ax_loss.plot(epochs, [h["loss"] for h in history], "o-", label="train loss")
    ax_loss.plot(epochs, [h["val_loss"] for h in history], "s--", label="val loss")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_metric.plot(epochs, [h["train_metric"] for h in history], "o-", label=f"train {metric}")
    ax_metric.plot(epochs, [h["val_metric"] for h in history], "s--", label=f"val {metric}")
    ax_metric.set(xlabel="epoch", ylabel=metric, title=metric)
    from matplotlib.ticker import MaxNLocator

    for ax in (ax_loss, ax_metric):
        if best_epoch:
            ax.axvline(best_epoch, color="grey", linestyle=":", label=f"best epoch {best_epoch}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
        if epochs:
            ax.set_xlim(min(epochs) - 0.5, max(epochs) + 0.5)
    if title:
        fig.suptitle(title)
    fmt = os.path.splitext(str(path))[1].lower().lstrip(".")
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format=fmt, dpi=100)
