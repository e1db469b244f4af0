"""The ``nnplug`` command line. Subcommands live in their own modules and are
imported only when run, so ``nnplug --help`` loads click and nothing heavy."""
from __future__ import annotations

from importlib import import_module

import click

from .. import __version__

#: command name -> "module:attribute"; a new subcommand is one line here
COMMANDS = {
    "train": "nnplug.cli.train:train",
    "plugins": "nnplug.cli.plugins:plugins",
    "bench": "nnplug.cli.bench:bench",
    "datasets": "nnplug.cli.datasets:datasets",
    "gradcheck": "nnplug.cli.gradcheck:gradcheck",
    "evaluate": "nnplug.cli.evaluate:evaluate",
    "predict": "nnplug.cli.predict:predict",
}

#: one-line help for each command, shown by ``nnplug --help`` without importing it
SHORT_HELP = {
    "train": "Train a network on a dataset and report its test metric.",
    "plugins": "List registered components and the plugins that provide them.",
    "bench": "Time training per backend and peer in interleaved rounds (paired ratios).",
    "datasets": "List dataset plugins and their files; fetch NAME downloads ahead.",
    "gradcheck": "Check every layer's and loss's gradients numerically (float64).",
    "evaluate": "Print a saved model's test metric on a dataset.",
    "predict": "Write a saved model's predictions for a CSV or .npy file.",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand only when it is invoked."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, _, attr = COMMANDS[name].partition(":")
        return getattr(import_module(module), attr)

    def format_commands(self, ctx, formatter):
        # the listing in ``nnplug --help`` comes from SHORT_HELP: no subcommand import
        rows = [(name, SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx):
        from ..errors import NNPlugError

        try:
            return super().invoke(ctx)
        except NNPlugError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:  # one line, not click's usage block
            where = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
            click.echo(f"Error: {exc.format_message()} (see '{where} --help')", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="nnplug")
def main():
    """nnplug: neural networks from scratch on NumPy, every component a plugin."""


if __name__ == "__main__":  # pragma: no cover
    main()
