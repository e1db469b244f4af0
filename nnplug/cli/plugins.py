"""``nnplug plugins``: every component by kind, the commands plugins add, and the plugins
that failed, were disabled or were not selected. Everything a plugin supplies is printed
through :func:`nnplug.safeio.text.one_line` (the registry records it that way)."""

from __future__ import annotations

import json
from typing import Any

import click

from nnplug.cli.doctext import first_sentence
from nnplug.safeio.text import one_line


def _plugin_commands(ctx: click.Context) -> dict[str, Any]:
    """Command name -> (plugin info, short help) for commands added by plugins."""
    root = ctx.find_root().command
    if not hasattr(root, "load_plugin_commands"):  # invoked on its own (tests, embedding)
        return {}
    added = root.load_plugin_commands()
    commands = getattr(root, "commands", {})
    return {
        name: (info, commands[name].get_short_help_str(limit=70))
        for name, info in sorted(added.items())
        if name in commands
    }


def _paths(comp: Any, onnx: Any) -> tuple[str, str]:
    """What a layer, loss or optimizer brings beyond its NumPy code: ``(compiled, onnx)``
    -- ``"kernels"``, ``"fuses"`` (an activation with only ``elementwise`` kernels) or
    ``"-"``; ``"onnx"`` (a converter, or none needed: a loss that keeps the raw outputs,
    an optimizer), or ``"-"``."""
    cls = comp.cls
    kernels = getattr(cls, "kernels", None) is not None
    fused = getattr(cls, "elementwise", None) is not None
    compiled = "kernels" if kernels else ("fuses" if fused else "-")
    if comp.kind == "optimizer":
        return compiled, ""
    from nnplug.base import Loss

    needs = not (comp.kind == "loss" and getattr(cls, "predict", None) is Loss.predict)
    exported = not needs or any(issubclass(cls, known) for known in onnx.table)
    return compiled, "onnx" if exported else "-"


def _defaults(table: Any) -> dict[str, float]:
    """An optimizer's ``default_lr``/``default_weight_decay`` by task, as printable numbers
    (a plugin's malformed table shows as none)."""
    if not isinstance(table, dict):
        return {}
    return {
        one_line(k, 40): float(v)
        for k, v in table.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    }


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List registered components and the plugins that provide them."""
    from nnplug.export.onnx import converters
    from nnplug.registry.registry import get_registry

    reg = get_registry()
    commands = _plugin_commands(ctx)  # may record failures: before they are listed
    comps = reg.components()
    onnx = converters(reg)  # the plugins' ONNX hooks (no onnx import)
    paths = {
        (c.kind, c.name, c.plugin): _paths(c, onnx)
        for c in comps
        if c.kind in ("layer", "loss", "optimizer")
    }
    conflicts = {(c.kind, c.name) for group in reg.conflicts() for c in group}
    # a backend can be registered yet unusable here (numba missing): say why
    unavailable = {
        c.name: one_line(c.cls.availability()[1])
        for c in comps
        if c.kind == "backend" and not c.cls.availability()[0]
    }
    if as_json:
        click.echo(
            json.dumps(
                {
                    "components": [
                        {
                            "kind": c.kind,
                            "name": c.name,
                            "plugin": c.plugin,
                            "distribution": c.dist,
                            "version": c.version,
                            "qualified_name": c.qualified_name,
                            "summary": c.summary,
                            "conflict": (c.kind, c.name) in conflicts,
                            **(
                                {
                                    "compiled_kernels": paths[(c.kind, c.name, c.plugin)][0] != "-",
                                    "fuses_as_activation": getattr(c.cls, "elementwise", None)
                                    is not None,
                                    **(
                                        {
                                            "onnx_converter": paths[(c.kind, c.name, c.plugin)][1]
                                            == "onnx"
                                        }
                                        if c.kind != "optimizer"
                                        else {}
                                    ),
                                }
                                if (c.kind, c.name, c.plugin) in paths
                                else {}
                            ),
                            **(
                                {
                                    "default_lr": _defaults(c.cls.default_lr),
                                    "default_weight_decay": _defaults(c.cls.default_weight_decay),
                                }
                                if c.kind == "optimizer"
                                else {}
                            ),
                            **(
                                {
                                    "available": c.name not in unavailable,
                                    "unavailable_reason": unavailable.get(c.name, ""),
                                }
                                if c.kind == "backend"
                                else {}
                            ),
                        }
                        for c in comps
                    ],
                    "commands": [
                        {
                            "name": name,
                            "plugin": info.name,
                            "distribution": info.dist,
                            "version": info.version,
                            "summary": one_line(summary),
                        }
                        for name, (info, summary) in commands.items()
                    ],
                    "plugins": [
                        {"name": p.name, "distribution": p.dist, "version": p.version}
                        for p in reg.plugins()
                    ],
                    "errors": [
                        {"plugin": f.plugin, "distribution": f.dist, "reason": f.reason}
                        for f in reg.failures
                    ],
                    "disabled": reg.disabled,
                    "not_loaded": reg.not_selected,
                },
                indent=2,
            )
        )
        return
    rows: list[tuple[str, ...]] = []  # (heading or "", name, provider, compiled, onnx, text)
    kind = None
    for c in comps:
        if c.kind != kind:
            kind = c.kind
            rows.append((f"{kind}{'es' if kind.endswith('s') else 's'}:", "", "", "", "", ""))
        flag = "  [CONFLICT: use " + c.qualified_name + "]" if (c.kind, c.name) in conflicts else ""
        if c.kind == "backend" and c.name in unavailable:
            flag += f"  [unavailable: {unavailable[c.name]}]"
        if c.kind == "optimizer" and _defaults(c.cls.default_lr):
            lrs = _defaults(c.cls.default_lr)
            flag += "  [default lr: " + ", ".join(f"{k} {v:g}" for k, v in lrs.items()) + "]"
        compiled, exported = paths.get((c.kind, c.name, c.plugin), ("", ""))
        rows.append(
            (
                "",
                c.name,
                f"{c.dist} {c.version}",
                compiled,
                exported,
                first_sentence(c.summary) + flag,
            )
        )
    if commands:
        rows.append(("commands:", "", "", ""))
        for name, (info, summary) in commands.items():
            rows.append(
                (
                    "",
                    name,
                    f"{info.dist} {info.version}",
                    "",
                    "",
                    first_sentence(one_line(summary)),
                )
            )
    _print_aligned(rows)
    loaded = ", ".join(p.describe() for p in reg.plugins())
    click.echo(f"plugins: {loaded or '(none)'}")
    for f in reg.failures:
        click.echo(f"error: plugin '{f.plugin}' ({f.dist}) failed to load: {f.reason}")
    for name in reg.disabled:
        click.echo(f"disabled: plugin '{name}' (NNPLUG_DISABLE_PLUGINS)")
    for name in reg.not_selected:
        click.echo(f"not loaded: plugin '{name}' (not listed in NNPLUG_LOAD_PLUGINS)")


def _print_aligned(rows: list[tuple[str, ...]]) -> None:
    """Headings, and under them ``name  provider  compiled  onnx  text`` in aligned columns
    (compiled: ``kernels``/``fuses``/``-``, onnx: ``onnx``/``-``, blank where they do not
    apply)."""
    items = [r for r in rows if not r[0]]
    widths = [max([len(r[i]) for r in items] + [0]) for i in range(1, 5)]
    widths[0] = max(widths[0], 13)
    for heading, *cells, text in rows:
        if heading:
            click.echo(heading)
            continue
        columns = "  ".join(f"{cell:<{w}}" for cell, w in zip(cells, widths, strict=True))
        click.echo(f"  {columns}  {text}".rstrip())
