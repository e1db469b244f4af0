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
    from nnplug.registry.registry import get_registry

    reg = get_registry()
    commands = _plugin_commands(ctx)  # may record failures: before they are listed
    comps = reg.components()
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
    rows: list[tuple[str, str, str, str]] = []  # (heading or "", name, provider, text)
    kind = None
    for c in comps:
        if c.kind != kind:
            kind = c.kind
            rows.append((f"{kind}{'es' if kind.endswith('s') else 's'}:", "", "", ""))
        flag = "  [CONFLICT: use " + c.qualified_name + "]" if (c.kind, c.name) in conflicts else ""
        if c.kind == "backend" and c.name in unavailable:
            flag += f"  [unavailable: {unavailable[c.name]}]"
        if c.kind == "optimizer" and _defaults(c.cls.default_lr):
            lrs = _defaults(c.cls.default_lr)
            flag += "  [default lr: " + ", ".join(f"{k} {v:g}" for k, v in lrs.items()) + "]"
        rows.append(("", c.name, f"{c.dist} {c.version}", first_sentence(c.summary) + flag))
    if commands:
        rows.append(("commands:", "", "", ""))
        for name, (info, summary) in commands.items():
            rows.append(
                ("", name, f"{info.dist} {info.version}", first_sentence(one_line(summary)))
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


def _print_aligned(rows: list[tuple[str, str, str, str]]) -> None:
    """Headings, and under them ``name  provider  text`` in aligned columns."""
    items = [r for r in rows if not r[0]]
    name_w = max([len(r[1]) for r in items] + [13])
    provider_w = max([len(r[2]) for r in items] + [0])
    for heading, name, provider, text in rows:
        if heading:
            click.echo(heading)
        else:
            click.echo(f"  {name:<{name_w}}  {provider:<{provider_w}}  {text}".rstrip())
