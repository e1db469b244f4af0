"""Entry point of the built-in dataset plugin.

Imported when the registry loads: only light modules here (no scikit-learn, no
network code); each dataset imports what it needs inside ``load``/``fetch``.
"""

from nnplug import hookimpl
from nnplug_datasets.california import California
from nnplug_datasets.digits import Digits
from nnplug_datasets.mnist import MNIST, FashionMNIST
from nnplug_datasets.tabular import CSV, NPZ


@hookimpl
def nnplug_register_datasets(register):
    for cls in (Digits, MNIST, FashionMNIST, California, CSV, NPZ):
        register(cls)
