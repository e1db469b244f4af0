"""What ``import nnplug.sklearn`` and a GridSearchCV worker import (issue 20: the import took
2.6 s). Almost all of it is scikit-learn's own ``sklearn.base`` (SciPy, and pandas when it
is installed); nnplug's share is kept to the option table: the training machinery, the
plugins and the heavy optional packages load when a fit needs them, never at import.
Read from ``sys.modules`` in fresh processes (timing belongs in benchmarks)."""

import json
import pickle
import subprocess
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from nnplug.sklearn import NNPlugClassifier

HEAVY = {"numba", "llvmlite", "onnx", "onnxruntime", "matplotlib", "torch", "distributed"}
PLUGINS = {"nnplug_core", "nnplug_datasets", "nnplug_numba"}
#: what a fit needs and an import does not
TRAINING = {"nnplug.nn.training", "nnplug.nn.solver", "nnplug.nn.sequential",
            "nnplug.files.model", "nnplug.data.arrays"}


def modules_after(code):
    res = subprocess.run([sys.executable, "-c", f"{code}\nimport sys, json\n"
                          "print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, timeout=300, check=True)
    return set(json.loads(res.stdout.splitlines()[-1]))


def test_importing_the_estimators_loads_no_training_machinery_or_plugins():
    sklearn_own = modules_after("import sklearn.base, sklearn.utils.validation, "
                                "sklearn.utils.multiclass, sklearn.exceptions")
    ours = modules_after("import nnplug.sklearn") - sklearn_own
    tops = {m.split(".")[0] for m in ours}
    assert tops <= {"nnplug", "pluggy"}, sorted(tops)
    assert not ours & TRAINING, sorted(ours & TRAINING)
    assert "nnplug.nn.config" in ours  # the parameters come from the option table
    # unpickling an unfitted estimator -- what GridSearchCV sends a worker -- adds nothing
    blob = pickle.dumps(NNPlugClassifier(epochs=3, hidden=16))
    assert modules_after(f"import pickle; pickle.loads({blob!r})") - sklearn_own == ours


def heavy_in_worker(estimator, X, y):
    """A scorer run in the worker after its fit: 1.0 when a heavy package was imported."""
    return float(bool({m.split(".")[0] for m in sys.modules} & HEAVY))


def test_a_grid_search_worker_imports_no_heavy_package():
    X, y = load_digits(return_X_y=True)
    search = GridSearchCV(NNPlugClassifier(epochs=2, hidden=16, random_state=0),
                          {"lr": [0.05, 0.1]}, cv=2, n_jobs=2, refit=False,
                          scoring={"heavy": heavy_in_worker})
    search.fit(X[:600], y[:600])
    assert np.all(search.cv_results_["mean_test_heavy"] == 0.0)
