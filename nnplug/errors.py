"""The one exception family a user can cause; the CLI turns it into one line on stderr."""
from __future__ import annotations


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


class TrainingDiverged(NNPlugError):
    """The loss became NaN or infinite."""
