"""Entry point of the built-in dataset plugin.

Imported when the registry loads: only light modules here (no scikit-learn, no
network code); each dataset imports what it needs inside ``load``/``fetch``.
"""

from nnplug import hookimpl

from .california import California
from .digits import Digits
from .mnist import MNIST, FashionMNIST
from .tabular import CSV, NPZ


@hookimpl
def nnplug_register_datasets(register):
    for cls in (Digits, MNIST, FashionMNIST, California, CSV, NPZ):
        register(cls)
