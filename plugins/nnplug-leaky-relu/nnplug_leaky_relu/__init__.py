"""nnplug-leaky-relu: an example third-party nnplug plugin (``leaky_relu`` layer, ``huber`` loss)."""
from .huber import Huber
from .layer import LeakyReLU

__all__ = ["Huber", "LeakyReLU"]
