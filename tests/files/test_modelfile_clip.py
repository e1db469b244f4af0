"""A saved model applies the same clipping to raw inputs as training did."""
import numpy as np

import nnplug
from nnplug.nn.training import TrainConfig, train


def test_predict_clips_standardised_inputs_like_training(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 3))
    y = X[:, 0] + 0.5 * X[:, 1]
    np.savez(tmp_path / "d.npz", X=X, y=y)
    run = train(TrainConfig(dataset="npz", dataset_options={"data": str(tmp_path / "d.npz"),
                                                             "task": "regression"}, epochs=2))
    from nnplug.files.model import save
    save(tmp_path / "m.npz", run.model, run.loss, run.data)
    model = nnplug.load(tmp_path / "m.npz")
    stats = model.meta["scaling"]
    assert "min" in stats and "max" in stats
    far = np.array([[1e6, 0.0, 0.0]])
    edge = np.array([[stats["max"][0] * stats["std"][0] + stats["mean"][0], 0.0, 0.0]])
    np.testing.assert_allclose(model.predict(far), model.predict(edge), rtol=1e-5)
