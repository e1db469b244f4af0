"""The entry point of the nnplug-bench distribution: ``bench = "nnplug_bench.plugin"`` in
the group ``nnplug``. It adds one command, ``nnplug bench``."""

from typing import Any

from nnplug import hookimpl


@hookimpl
def nnplug_register_commands(cli: Any) -> None:
    from nnplug_bench.command import bench  # click code: imported only when nnplug asks

    cli.add_command(bench)
