"""``--backend auto`` (the default): the compiled backend for runs long enough to repay its
start-up, NumPy for short ones and wherever numba cannot be imported -- a choice made from
the run's size only, so the same command always picks the same backend."""
import subprocess
import sys

from nnplug.runtime import backends as backend
from nnplug.registry import get_registry
from nnplug.nn.training import TrainConfig, train


def numba_available():
    return get_registry().get("backend", "numba").cls.availability()[0]


def test_short_runs_train_on_numpy_long_ones_compiled():
    name, why = backend.auto_backend(backend.AUTO_MIN_STEPS - 1)
    assert name == backend.DEFAULT_BACKEND and "too short" in why
    name, why = backend.auto_backend(backend.AUTO_MIN_STEPS)
    if numba_available():
        assert name.endswith("numba") and "compiled" in why
    else:
        assert name == backend.DEFAULT_BACKEND and "numba is unavailable" in why


def test_the_choice_is_recorded_and_follows_the_step_count(monkeypatch):
    short = train(TrainConfig(epochs=1)).metrics  # digits: 41 steps
    assert short["backend"] == "numpy" and "too short" in short["backend_choice"]
    monkeypatch.setattr(backend, "AUTO_MIN_STEPS", 40)
    long = train(TrainConfig(epochs=1)).metrics
    assert long["backend"] == ("numba" if numba_available() else "numpy")
    assert train(TrainConfig(epochs=1, backend="numpy")).metrics["backend_choice"] is None


def test_without_numba_auto_is_numpy_and_says_why(tmp_path):
    code = ("import sys; sys.modules['numba'] = None\n"
            "from nnplug.runtime import backends as backend\n"
            "print(backend.auto_backend(10 ** 6))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "core/numpy" in res.stdout and "numba is unavailable (numba is not installed" in \
        res.stdout
