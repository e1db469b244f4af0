"""``nnplug leaky-relu-demo``: a command this plugin adds to ``nnplug``."""

import click
import numpy as np

from .layer import LeakyReLU


@click.command(name="leaky-relu-demo")
@click.option(
    "--alpha", default=0.1, show_default=True, type=float, help="Slope for negative inputs."
)
def leaky_relu_demo(alpha):
    """Show leaky_relu and its gradient on a few inputs, then check the gradients."""
    from nnplug.testing import layer_report

    try:
        layer = LeakyReLU(alpha=alpha)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--alpha") from None
    layer.build(5, rng=np.random.default_rng(0), dtype=np.float64)
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    y = layer.forward(x)
    dx = layer.backward(np.ones_like(x))
    click.echo(f"leaky_relu:alpha={alpha:g}")
    for label, row in (("x", x), ("y", y), ("dy/dx", dx)):
        click.echo(f"  {label:<6}" + "".join(f"{v:>8.3g}" for v in row[0]))
    report = layer_report(LeakyReLU, {"alpha": alpha})
    verdict = "PASS" if report.passed else "FAIL: " + ", ".join(c.name for c in report.failures)
    click.echo(f"gradient check (float64): max relative error {report.max_error:.1e}  {verdict}")
