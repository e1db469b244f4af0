"""The ``nnplug`` command line. Subcommands live in their own modules and are
imported only when run, so ``nnplug --help`` loads click and nothing heavy.

Plugins add subcommands with the ``nnplug_register_commands(cli)`` hook. Their code is
imported only when a command that is not built in is asked for (or ``nnplug plugins``
runs): ``nnplug --help`` stays fast and plugin-free, and so cannot list plugin commands
-- it points at ``nnplug plugins``, which does.

Errors: an :class:`~nnplug.errors.NNPlugError` is one ``Error:`` line on stderr; any
other exception is a bug (ours or a plugin's) and is one line too, naming the plugin
command when one was running, with a hint to set ``NNPLUG_DEBUG=1``, which prints the
full traceback of every error.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import click

from nnplug.runtime.threads import quiet_spinning

quiet_spinning()  # before any command imports NumPy (and so loads its BLAS)

#: command name -> "module:attribute"; a new subcommand is one line here
COMMANDS = {
    "train": "nnplug.cli.train:train",
    "compile": "nnplug.cli.compile:compile_",
    "plugins": "nnplug.cli.plugins:plugins",
    "datasets": "nnplug.cli.datasets:datasets",
    "gradcheck": "nnplug.cli.gradcheck:gradcheck",
    "evaluate": "nnplug.cli.evaluate:evaluate",
    "predict": "nnplug.cli.predict:predict",
    "sweep": "nnplug.cli.sweep.command:sweep",
    "export": "nnplug.cli.export:export",
}

#: one-line help for each command, shown by ``nnplug --help`` without importing it
SHORT_HELP = {
    "train": "Train a network on a dataset and report its test metric.",
    "compile": "Compile the compiled backend's training code into its cache ahead of time.",
    "plugins": "List registered components and the plugins that provide them.",
    "datasets": "List dataset plugins and their files; fetch NAME downloads ahead.",
    "gradcheck": "Check every layer's and loss's gradients numerically (float64).",
    "evaluate": "Print a saved model's test metric on a dataset.",
    "predict": "Write a saved model's predictions for a CSV or .npy file.",
    "sweep": "Train one model per point of a hyperparameter grid, locally or on Dask.",
    "export": "Export a saved model to ONNX (needs: pip install 'nnplug[onnx]').",
}

DEBUG_HINT = "set NNPLUG_DEBUG=1 for the traceback"


class LazyGroup(click.Group):
    """A click group that imports a subcommand only when it is invoked, and loads the
    plugins' commands only when a name that is not built in is asked for."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        #: command name -> the :class:`~nnplug.registry.PluginInfo` that added it
        self.plugin_commands: dict[str, Any] = {}
        self._commands_from: Any = None  # the registry those came from

    def load_plugin_commands(self) -> dict[str, Any]:
        """Call every plugin's ``nnplug_register_commands`` (once per registry)."""
        from nnplug.registry.registry import get_registry

        registry = get_registry()
        if self._commands_from is not registry:
            for name in self.plugin_commands:
                self.commands.pop(name, None)
            self.plugin_commands = add_plugin_commands(self, registry)
            self._commands_from = registry
        return self.plugin_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        # plugin commands only once loaded: listing must not import plugin code
        return sorted(COMMANDS) + sorted(n for n in self.commands if n not in COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module, _, attr = COMMANDS[name].partition(":")
            command: click.Command = getattr(import_module(module), attr)
            return command
        self.load_plugin_commands()
        return self.commands.get(name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        if name in COMMANDS or name.startswith("-") or ctx.resilient_parsing:
            return super().resolve_command(ctx, args)
        command = self.get_command(ctx, name)
        if command is None:
            import difflib

            from nnplug.registry.registry import get_registry
            from nnplug.safeio.text import one_line

            close = difflib.get_close_matches(name, self.list_commands(ctx), 1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            failed = len(get_registry().failures)
            if failed:
                hint += f" ({failed} plugin(s) failed to load: 'nnplug plugins' says why)"
            ctx.fail(f"No such command '{one_line(name, 60)}'.{hint}")
        return name, command, args[1:]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # the listing in ``nnplug --help`` comes from SHORT_HELP: no subcommand import
        rows = [(name, SHORT_HELP.get(name, "")) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
        if self.plugin_commands:
            with formatter.section("Plugin commands"):
                formatter.write_dl(
                    [
                        (name, self.commands[name].get_short_help_str())
                        for name in sorted(self.plugin_commands)
                    ]
                )
        formatter.write_paragraph()
        formatter.write_text("Plugins can add commands: 'nnplug plugins' lists them.")

    def invoke(self, ctx: click.Context) -> Any:
        from nnplug.cli.streams import exit_status, guarded_output

        self._result: Any = None
        with guarded_output() as stdout:
            code = self._invoke(ctx)
        if code is None:  # the command ended normally: did its stdout?
            code, problem = exit_status(stdout.error)
            if problem:
                click.echo(f"Error: {problem}", err=True)
        if code:
            ctx.exit(code)
        return self._result

    def _invoke(self, ctx: click.Context) -> int | None:
        """Run the command; its exit code when it failed (one line said why), else None."""
        from nnplug.errors import NNPlugError, PluginRuntimeError

        try:
            self._result = super().invoke(ctx)
            return None
        except NNPlugError as exc:
            report(exc, str(exc), hint=isinstance(exc, PluginRuntimeError))
            return exc.exit_code
        except click.UsageError as exc:  # one line, not click's usage block
            where = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
            report(exc, f"{exc.format_message()} (see '{where} --help')", traceback=False)
            return exc.exit_code
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (nnplug.nn.signals.Interrupted)
            import signal

            term = getattr(exc, "signum", None) == signal.SIGTERM
            click.echo(f"Interrupted{' by SIGTERM' if term else ''}.", err=True)
            return 143 if term else 130
        except click.exceptions.Exit as exc:
            if exc.exit_code:
                return exc.exit_code
            return None
        except (click.exceptions.Abort, click.ClickException):
            raise
        except SystemExit as exc:  # click ends with Exit: this is sys.exit() in code it ran
            if ctx.invoked_subcommand in self.plugin_commands:
                raise  # a plugin's own command may end itself
            report(
                exc,
                f"unexpected exit: SystemExit({exc.code!r}) raised while 'nnplug "
                f"{ctx.invoked_subcommand}' ran (a bug in nnplug or a plugin)",
                hint=True,
            )
            return 1
        except Exception as exc:  # noqa: BLE001 - a bug, ours or a plugin's: still one line
            from nnplug.safeio.text import describe_exception

            name = ctx.invoked_subcommand
            if name in self.plugin_commands:
                what = (
                    f"command '{name}' from plugin {self.plugin_commands[name].describe()} failed"
                )
            else:
                what = "unexpected error (a bug in nnplug or a plugin)"
            report(exc, f"{what}: {describe_exception(exc)}", hint=True)
            return 1


def add_plugin_commands(group: click.Group, registry: Any) -> dict[str, Any]:
    """Let each plugin add commands to ``group``; returns name -> the plugin's info.

    A plugin whose hook raises (``SystemExit`` too), or that would replace a built-in
    command or one an earlier plugin added, is recorded as a failure of that plugin and
    none of its commands are added.
    """
    from nnplug.hookspecs import COMMANDS_HOOK

    added: dict[str, Any] = {}
    for info, plugin in registry.implementers(COMMANDS_HOOK).items():
        before = dict(group.commands)
        group.commands.clear()  # so whatever the plugin adds is seen as its own
        problem = registry.call_hook(plugin, COMMANDS_HOOK, cli=group)
        new = dict(group.commands)
        group.commands.clear()
        group.commands.update(before)
        if problem:
            problem = f"{COMMANDS_HOOK} raised {problem}"
        else:
            taken = sorted(n for n in new if n in COMMANDS or n in before)
            problem = "; ".join(
                f"command '{n}' is already provided by "
                f"{added[n].describe() if n in added else 'nnplug'}"
                for n in taken
            )
        if problem:
            registry.record_failure(info, problem)
            continue
        group.commands.update(new)
        added.update(dict.fromkeys(new, info))
    return added


def debugging() -> bool:
    """``NNPLUG_DEBUG`` is set (to anything but ``0``/``false``/``no``/``off``/empty)."""
    from nnplug.registry.switches import DEBUG_ENV, env_flag

    return env_flag(DEBUG_ENV)


def report(exc: BaseException, message: str, *, hint: bool = False, traceback: bool = True) -> None:
    """``Error: <message>`` as one printable line on stderr; under ``NNPLUG_DEBUG=1`` the
    full traceback first (unless ``traceback=False``), else (with ``hint``) how to get it."""
    from traceback import format_exception

    from nnplug.safeio.text import one_line

    if debugging() and traceback:
        click.echo("".join(format_exception(exc)), err=True, nl=False)
    elif hint:
        message = f"{message} ({DEBUG_HINT})"
    click.echo(f"Error: {one_line(message, 1000)}", err=True)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from nnplug import __version__

    click.echo(f"nnplug, version {__version__}")
    ctx.exit()


@click.group(cls=LazyGroup)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
def main() -> None:
    """nnplug: neural networks from scratch on NumPy, every component a plugin."""


if __name__ == "__main__":  # pragma: no cover
    main()
