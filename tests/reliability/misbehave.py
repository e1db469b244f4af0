"""Plugin layers that misbehave while they run (issue 19): they end the process, raise
what a layer should not, or print. ``SOURCE`` is this module's plugin part as a module of
a fake distribution (:func:`fakedist.write_dist`) for tests that run ``nnplug`` in a child
process; in-process tests register :class:`Misbehave` directly."""
from __future__ import annotations

SOURCE = '''
import sys

from nnplug import hookimpl
from nnplug.base import Layer


class _Identity(Layer):
    transparent_for_init = True

    def __init__(self, after: int = 1):
        super().__init__()
        self.after, self.calls = int(after), 0

    def options(self):
        return {"after": self.after}

    def forward(self, x):
        return x

    def backward(self, dy):
        return dy

    def due(self):
        """True from the ``after``-th training call on."""
        if not self.training:
            return False
        self.calls += 1
        return self.calls >= self.after


class ExitInForward(_Identity):
    """Calls sys.exit(0) in its ``after``-th training forward."""

    name = "exit_in_forward"

    def forward(self, x):
        if self.due():
            sys.exit(0)
        return x


class ExitInBackward(_Identity):
    """Raises SystemExit(0) in its ``after``-th backward."""

    name = "exit_in_backward"

    def backward(self, dy):
        self.calls += 1
        if self.calls >= self.after:
            raise SystemExit(0)
        return dy


class ExitInInit(_Identity):
    """Raises SystemExit(code) when made."""

    name = "exit_in_init"

    def __init__(self, code: int = 3):
        raise SystemExit(code)


class BrokenInit(_Identity):
    """Raises RuntimeError (kind=runtime) or RecursionError (kind=recursion) when made."""

    name = "broken_init"

    def __init__(self, kind: str = "runtime"):
        if kind == "recursion":
            def deeper(n):
                return deeper(n + 1) + 1
            deeper(0)
        raise RuntimeError("the plugin's own bug")


class Chatty(_Identity):
    """Prints on every forward, training or not."""

    name = "chatty"

    def forward(self, x):
        print("hello from a plugin layer")
        return x


class Sigint(_Identity):
    """Sends SIGINT to its own process ``times`` times in its ``after``-th training forward,
    as a user pressing Ctrl-C then (once: the loop stops after the step; twice: at once)."""

    name = "sigint"

    def __init__(self, after: int = 1, times: int = 1):
        super().__init__(after)
        self.times = int(times)

    def options(self):
        return {"after": self.after, "times": self.times}

    def forward(self, x):
        if self.due() and self.calls == self.after:
            import signal

            for _ in range(self.times):
                signal.raise_signal(signal.SIGINT)
        return x


@hookimpl
def nnplug_register_layers(register):
    for cls in (ExitInForward, ExitInBackward, ExitInInit, BrokenInit, Chatty, Sigint):
        register(cls)
'''

namespace: dict = {}
exec(compile(SOURCE, "misbehave_plugin", "exec"), namespace)  # noqa: S102 - the test plugin


class Misbehave:
    """The plugin object (its hook), for ``Registry.add_plugin``."""

    nnplug_register_layers = staticmethod(namespace["nnplug_register_layers"])
