"""The one exception family a user can cause; the CLI turns it into one line on stderr.

Every error a user can cause (a bad option, spec, file or plugin) is an
:class:`NNPlugError`; its ``exit_code`` is what the command line exits with. Messages that
carry text from a plugin or a file are made printable first
(:func:`nnplug.safeio.text.one_line`); a plugin component failing while it runs is named by
:mod:`nnplug.registry.blame` (:class:`PluginRuntimeError`).
"""

from __future__ import annotations

from typing import Any


class NNPlugError(Exception):
    """Base class for every error a user can cause (bad option, bad spec, bad file)."""

    exit_code = 1


class SpecError(NNPlugError):
    """A layer spec string could not be parsed or built."""

    exit_code = 2


class UnknownComponentError(NNPlugError):
    """A component name is not registered."""

    exit_code = 2


class PluginConflictError(NNPlugError):
    """Two plugins registered the same component name."""

    exit_code = 2


class BackendUnavailableError(NNPlugError):
    """A backend exists but cannot run here (e.g. numba is not importable)."""

    exit_code = 2


class DataError(NNPlugError):
    """A dataset is missing, corrupt or inconsistent."""


class InputError(NNPlugError, ValueError):
    """Inputs given to a saved model (``predict``, ``evaluate``) do not fit it: a column
    it needs is missing, a value is not a number, a label is not one of its classes. A
    ``ValueError`` too, as Python code expects of bad arguments."""


class TrainingDiverged(NNPlugError):
    """The loss became NaN or infinite."""


class PluginRuntimeError(NNPlugError):
    """A plugin's component raised, or returned something malformed, while it ran.

    The message is one line naming the component, its plugin (entry point), distribution
    and version; the original exception is ``__cause__`` (the CLI prints its traceback
    under ``NNPLUG_DEBUG=1``). ``component`` is the registry's record, when known.
    """

    def __init__(self, message: str, component: Any = None):
        super().__init__(message)
        self.component = component


__all__ = [
    "BackendUnavailableError",
    "DataError",
    "InputError",
    "NNPlugError",
    "PluginConflictError",
    "PluginRuntimeError",
    "SpecError",
    "TrainingDiverged",
    "UnknownComponentError",
]
