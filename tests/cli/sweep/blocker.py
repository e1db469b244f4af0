"""Run on one Dask worker (``client.run``, pickled by value): its next trial announces
itself in a marker file and then hangs, so a test can kill that worker in the middle of a
trial -- deterministically, with no timing involved."""
from __future__ import annotations


def hang_next_trial(marker: str) -> int:
    import json
    import os
    import time

    import nnplug.nn.training as training

    def hang(config, *args, **kwargs):
        with open(marker + ".part", "w") as fh:
            json.dump({"pid": os.getpid(), "seed": config.seed}, fh)
        os.replace(marker + ".part", marker)
        while True:
            time.sleep(0.05)

    training.train = hang
    return os.getpid()
