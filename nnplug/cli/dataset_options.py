"""The options a dataset declares (``cli_options``, :mod:`nnplug.options`) as options of
``nnplug train``.

The chosen dataset (``--dataset``, default digits; qualified names and spec tokens work)
adds its options to the common ones: ``nnplug train --dataset csv --help`` lists csv's.
Finding them means loading the plugins, so ``nnplug train --help`` without ``--dataset``
shows the common options only and stays plugin-free.
"""

from __future__ import annotations

from typing import Any

import click

from nnplug.nn.recipes import DEFAULT_DATASET

#: where the parsed dataset options are kept on the click context
META_KEY = "nnplug.dataset_options"


def _dataset_argument(args: list[str]) -> str | None:
    """The value given to ``--dataset`` in ``args`` (the last one wins, as in click)."""
    value = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--dataset" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--dataset="):
            value = arg.partition("=")[2]
    return value


def _click_option(opt: Any, dataset: str) -> click.Option:
    if opt.type is bool:
        kind: dict[str, Any] = {"is_flag": True}
    elif opt.choices:
        kind = {"type": click.Choice(list(opt.choices))}
    elif opt.type == "file":
        kind = {"type": click.Path(dir_okay=False)}
    else:
        kind = {"type": opt.type}
    return click.Option([opt.flag, opt.name], default=None, help=f"{opt.help} [{dataset}]", **kind)


def _owners(flag: str) -> list[str]:
    """Names of the datasets that declare ``flag``."""
    from nnplug.errors import NNPlugError
    from nnplug.options import declared_options
    from nnplug.registry.registry import get_registry

    out = []
    for comp in get_registry().components("dataset"):
        try:
            if any(o.flag == flag for o in declared_options(comp.cls, comp.name)):
                out.append(comp.name)
        except NNPlugError:
            continue
    return out


class TrainCommand(click.Command):
    """``nnplug train``: the chosen dataset's declared options join the common ones."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = _dataset_argument(args)
        head = args[: args.index("--")] if "--" in args else args
        helping = any(a in ctx.help_option_names for a in head)
        if not ctx.resilient_parsing and (given is not None or not helping):
            ctx.meta[META_KEY] = self._dataset_options(ctx, given or DEFAULT_DATASET)
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            owners = _owners(exc.option_name)
            name, options = ctx.meta.get(META_KEY, ("", []))
            if not owners or not name:
                raise
            from nnplug.errors import SpecError

            flags = ", ".join(o.opts[0] for o in options) or "none"
            raise SpecError(
                f"dataset '{name}' has no option '{exc.option_name[2:]}' "
                f"({exc.option_name} is an option of {', '.join(owners)}); "
                f"its options: {flags}"
            ) from None

    def _dataset_options(self, ctx: click.Context, spec: str) -> tuple[str, list[click.Option]]:
        from nnplug.errors import NNPlugError
        from nnplug.options import declared_options
        from nnplug.registry.blame import describe_component
        from nnplug.registry.registry import get_registry
        from nnplug.spec import parse_token

        registry = get_registry()
        comp = registry.get("dataset", parse_token(spec).name)
        what = describe_component(comp.cls, registry)
        taken = {o for p in super().get_params(ctx) for o in [*p.opts, p.name or ""]}
        options = []
        for opt in declared_options(comp.cls, what):
            if opt.flag in taken or opt.name in taken:
                raise NNPlugError(
                    f"{what} declares option {opt.flag}, which nnplug train already has"
                )
            options.append(_click_option(opt, comp.name))
        return comp.name, options

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        extra = ctx.meta.get(META_KEY, ("", []))[1]
        return params[:-1] + extra + params[-1:] if extra else params  # --help stays last

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        name, extra = ctx.meta.get(META_KEY, ("", []))
        formatter.write_paragraph()
        if name:
            flags = ", ".join(o.opts[0] for o in extra) or "none"
            formatter.write_text(f"Options of dataset '{name}': {flags}.")
        else:
            formatter.write_text(
                "A dataset adds its own options (its files, columns, "
                "classes ...): see 'nnplug train --dataset NAME --help'."
            )


def given_dataset_options(options: dict[str, Any]) -> dict[str, Any]:
    """Pop the chosen dataset's options from ``options`` (the parsed parameters of the
    current command); return those the user gave."""
    declared = click.get_current_context().meta.get(META_KEY, ("", []))[1]
    picked = {p.name: options.pop(p.name) for p in declared}
    return {k: v for k, v in picked.items() if v is not None}
