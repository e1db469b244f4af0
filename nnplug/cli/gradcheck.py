"""``nnplug gradcheck``: float64 central-difference checks of every layer and loss -- of the
NumPy code a component computes per op, and of the compiled kernels it declares, on every
backend that compiles (the code that trains on the compiled path)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from nnplug.kernels import ACTIVATION_CODES
from nnplug.runtime.backends import DEFAULT_BACKEND

if TYPE_CHECKING:
    from nnplug.registry.registry import Component, Registry


@dataclass
class Row:
    """One line of the table."""

    kind: str
    component: str
    plugin: str
    checked: str = ""
    error: float | None = None
    passed: bool = False
    note: str = ""


def _targets(registry: Registry, kind: str, names: str | None) -> list[tuple[str, Component, dict]]:
    """``(label, component, options)`` for ``names`` (spec tokens) or, if ``None``, for
    every registered component of ``kind`` (clashing names shown qualified)."""
    from nnplug.base import example_options
    from nnplug.spec import parse_spec

    if names is None:
        clashing = {c.name for group in registry.conflicts() for c in group if c.kind == kind}
        return [
            (c.qualified_name if c.name in clashing else c.name, c, example_options(c.cls))
            for c in registry.components(kind)
        ]
    out = []
    for spec in parse_spec(names):
        comp = registry.get(kind, spec.name)
        options = example_options(comp.cls)
        if spec.positional is not None:
            if not comp.cls.positional:
                from nnplug.errors import SpecError

                raise SpecError(f"{kind} '{spec.name}' takes no positional value; use key=value")
            options[comp.cls.positional] = spec.positional
        options.update(spec.options)
        out.append((spec.token, comp, options))
    return out


def _check(
    kind: str, label: str, comp: Component, options: dict, seed: int, kernels: Any = None
) -> Row:
    """One row: the component's per-op code on the current backend, or (``kernels``, a
    compiling backend) its compiled kernels -- for a layer that fuses a following
    activation, with each activation code too."""
    from nnplug.runtime.kernel_calls import KernelLayer, KernelLoss
    from nnplug.testing.gradcheck import check_layer_modes, check_loss

    where = f"{kernels.name} kernels" if kernels is not None else "per op"
    row = Row(kind, label, f"{comp.plugin} ({comp.dist} {comp.version})".replace(" )", ")"), where)
    stage = "cannot build an example (set the class attribute example_options): "
    try:
        obj = comp.cls(**options)
        stage = ""
        if kind == "layer":
            acts: list[str | None] = [None]
            if kernels is not None and comp.cls.fuses_activation:
                acts += [a for a in ACTIVATION_CODES if a is not None]
            errors: dict[str, float] = {}
            for act in acts:
                layer = KernelLayer(comp.cls(**options), kernels, act) if kernels else obj
                result = check_layer_modes(layer, in_features=6, batch=5, seed=seed)
                prefix = f"act={act}:" if act else ""
                errors.update({prefix + k: v for k, v in result.errors.items()})
            result.errors = errors
        else:
            loss = KernelLoss(obj, kernels) if kernels is not None else obj
            result = check_loss(loss, n_outputs=4, batch=5, seed=seed)
    except Exception as exc:  # noqa: BLE001 - a plugin's bug is a FAIL row, not a crash
        text = str(exc).strip().splitlines()
        row.note = stage + f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
        return row
    row.error, row.passed = result.max_error, result.passed
    if not row.passed:
        worst = max(result.errors, key=lambda k: result.errors[k])
        row.note = f"worst: {worst}"
    return row


def _compiling_backends(registry: Registry) -> list[Any]:
    """An instance of every backend that compiles and can run here."""
    from nnplug.runtime.backends import compiles, get_backend

    out = []
    for comp in registry.components("backend"):
        if compiles(comp.cls) and comp.cls.availability()[0]:
            out.append(get_backend(comp.qualified_name))
    return out


@click.command()
@click.option(
    "--layers",
    default=None,
    metavar="NAME,...",
    help="Only these layers (spec tokens, e.g. 'linear:7,leaky_relu:alpha=0.3').",
)
@click.option("--losses", default=None, metavar="NAME,...", help="Only these losses.")
@click.option("--backend", default=DEFAULT_BACKEND, show_default=True, help="Compute backend.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seeds the random inputs.")
def gradcheck(layers, losses, backend, seed):
    """Check every layer's and loss's backward pass against float64 central differences.

    Each component is checked per op (its NumPy code, on --backend) and, when it declares
    compiled kernels, those kernels themselves on every backend that compiles (numba):
    what trains on the compiled path. Layers are checked in training and in eval mode (an
    eval-mode tensor is shown as eval:NAME when it is the worst), kernels of a layer that
    fuses an activation with each activation code (act=NAME:).

    Prints component, plugin, max relative error and PASS/FAIL (FAIL at >= 1e-6); exits 1
    when anything fails. With --layers or --losses only the named components are checked.
    """
    from nnplug.registry.registry import get_registry
    from nnplug.runtime.backends import use_backend
    from nnplug.testing.gradcheck import TOLERANCE

    registry = get_registry()
    everything = layers is None and losses is None
    jobs = []
    if everything or layers is not None:
        jobs += [("layer", *t) for t in _targets(registry, "layer", layers)]
    if everything or losses is not None:
        jobs += [("loss", *t) for t in _targets(registry, "loss", losses)]
    compilers = _compiling_backends(registry)
    with use_backend(backend):
        rows = []
        for kind, label, comp, options in jobs:
            rows.append(_check(kind, label, comp, options, seed))
            for compiler in compilers if comp.cls.kernels is not None else ():
                rows.append(_check(kind, label, comp, options, seed, compiler))
    wide = max([len(r.component) for r in rows] + [9])
    pwide = max([len(r.plugin) for r in rows] + [6])
    cwide = max([len(r.checked) for r in rows] + [7])
    click.echo(
        f"{'kind':<6} {'component':<{wide}} {'plugin':<{pwide}} {'checked':<{cwide}} "
        f"{'max rel error':>13}  result"
    )
    for r in rows:
        err = "-" if r.error is None else f"{r.error:.2e}"
        note = f"  {r.note}" if r.note else ""
        click.echo(
            f"{r.kind:<6} {r.component:<{wide}} {r.plugin:<{pwide}} {r.checked:<{cwide}} "
            f"{err:>13}  {'PASS' if r.passed else 'FAIL'}{note}"
        )
    failed = [f"{r.component} ({r.checked})" for r in rows if not r.passed]
    n_kernels = sum(1 for r in rows if r.checked != "per op")
    compiled = (
        f"; compiled kernels of {n_kernels} component(s) on "
        + ", ".join(f"backend {c.name}" for c in compilers)
        if n_kernels
        else "; no compiled kernels checked"
        + (" (no compiling backend can run here)" if not compilers else "")
    )
    click.echo(
        f"{len(rows) - len(failed)}/{len(rows)} passed (float64, tolerance {TOLERANCE:g}): "
        f"per op on backend {backend}{compiled}"
        + (f"; FAILED: {', '.join(failed)}" if failed else "")
    )
    if failed:
        raise click.exceptions.Exit(1)
