"""``nnplug plugins``."""
from __future__ import annotations

import json

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(as_json):
    """List registered components and the plugins that provide them."""
    from ..registry import get_registry

    reg = get_registry()
    comps = reg.components()
    conflicts = {(c.kind, c.name) for group in reg.conflicts() for c in group}
    # a backend can be registered yet unusable here (numba missing): say why
    unavailable = {c.name: c.cls.availability()[1] for c in comps
                   if c.kind == "backend" and not c.cls.availability()[0]}
    if as_json:
        click.echo(json.dumps({
            "components": [{"kind": c.kind, "name": c.name, "plugin": c.plugin,
                            "distribution": c.dist, "version": c.version,
                            "qualified_name": c.qualified_name, "summary": c.summary,
                            "conflict": (c.kind, c.name) in conflicts,
                            **({"available": c.name not in unavailable,
                                "unavailable_reason": unavailable.get(c.name, "")}
                               if c.kind == "backend" else {})} for c in comps],
            "plugins": [{"name": p.name, "distribution": p.dist, "version": p.version}
                        for p in reg.plugins()],
            "errors": [{"plugin": f.plugin, "distribution": f.dist, "reason": f.reason}
                       for f in reg.failures],
            "disabled": reg.disabled,
        }, indent=2))
        return
    kind = None
    for c in comps:
        if c.kind != kind:
            kind = c.kind
            click.echo(f"{kind}{'es' if kind.endswith('s') else 's'}:")
        flag = "  [CONFLICT: use " + c.qualified_name + "]" if (c.kind, c.name) in conflicts else ""
        if c.kind == "backend" and c.name in unavailable:
            flag += f"  [unavailable: {unavailable[c.name]}]"
        click.echo(f"  {c.name:<14} {c.dist} {c.version}  {c.summary}{flag}")
    loaded = ", ".join(f"{p.name} ({p.dist} {p.version})" for p in reg.plugins())
    click.echo(f"plugins: {loaded or '(none)'}")
    for f in reg.failures:
        click.echo(f"error: plugin '{f.plugin}' ({f.dist}) failed to load: {f.reason}")
    for name in reg.disabled:
        click.echo(f"disabled: plugin '{name}' (NNPLUG_DISABLE_PLUGINS)")
