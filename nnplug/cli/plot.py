"""``--plot FILE.png``: loss and train/val metric curves per epoch (needs matplotlib,
the optional ``plot`` extra: ``pip install 'nnplug[plot]'``)."""

from __future__ import annotations

import os
import re
import textwrap
from typing import Any

from nnplug.errors import NNPlugError
from nnplug.safeio.outputs import atomic_write

#: pixels per inch of the written figure (10 x 4 inches)
DPI = 100
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


def run_title(m: dict[str, Any]) -> str:
    """``digits: test accuracy 0.9805, best epoch 19 of 30`` from a run's metrics."""
    key = "test_accuracy" if m["task"] == "classification" else "test_rmse"
    return (
        f"{m['dataset']}: test {m['metric']} {m[key]:.4f}, "
        f"best epoch {m['best_epoch']} of {m['epochs_run']}"
    )


def architecture(described: str) -> str:
    """``Sequential.describe()`` without the shapes of layers that keep them:
    ``linear(64->256) > batchnorm > relu > ... > linear(256->10)``."""
    return re.sub(r"\((\d+)->\1\)", "", described)


def plot_history(
    history: list[dict[str, Any]],
    path: str | os.PathLike,
    *,
    metric: str = "accuracy",
    title: str = "",
    subtitle: str = "",
    best_epoch: int = 0,
) -> None:
    """Two panels: train/val loss and train/val ``metric`` against the epoch, under
    ``title`` and a smaller ``subtitle`` (wrapped to the figure's width); written
    atomically in the format the suffix names."""
    fig = figure(history, metric=metric, title=title, subtitle=subtitle, best_epoch=best_epoch)
    fmt = os.path.splitext(str(path))[1].lower().lstrip(".")
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format=fmt, dpi=DPI)


def figure(
    history: list[dict[str, Any]],
    *,
    metric: str = "accuracy",
    title: str = "",
    subtitle: str = "",
    best_epoch: int = 0,
) -> Any:
    """The :class:`matplotlib.figure.Figure` :func:`plot_history` writes."""
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    epochs = [h["epoch"] for h in history]
    fig = Figure(figsize=(10, 4), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)  # a renderer, to measure the titles
    ax_loss, ax_metric = fig.subplots(1, 2)
    ax_loss.plot(epochs, [h["loss"] for h in history], "o-", label="train loss")
    ax_loss.plot(epochs, [h["val_loss"] for h in history], "s--", label="val loss")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_metric.plot(epochs, [h["train_metric"] for h in history], "o-", label=f"train {metric}")
    ax_metric.plot(epochs, [h["val_metric"] for h in history], "s--", label=f"val {metric}")
    ax_metric.set(xlabel="epoch", ylabel=metric, title=metric)
    for ax in (ax_loss, ax_metric):
        if best_epoch:
            ax.axvline(best_epoch, color="grey", linestyle=":", label=f"best epoch {best_epoch}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
        if epochs:
            ax.set_xlim(min(epochs) - 0.5, max(epochs) + 0.5)
    if title or subtitle:
        _fit_title(fig, fig.suptitle("", fontsize="medium"), title, subtitle)
    return fig


def _fit_title(fig: Any, text: Any, title: str, subtitle: str) -> None:
    """``title`` over ``subtitle``, wrapped at spaces so that no line is wider than the
    figure (a long layer stack takes two or three lines)."""
    renderer = fig.canvas.get_renderer()
    limit = 0.96 * fig.bbox.width
    for chars in range(max(len(title), len(subtitle), 10), 9, -4):
        lines = [*textwrap.wrap(title, chars), *textwrap.wrap(subtitle, chars)]
        text.set_text("\n".join(lines))
        if text.get_window_extent(renderer).width <= limit:
            return
