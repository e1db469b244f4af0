"""nnplug-leaky-relu: an example third-party nnplug plugin (``leaky_relu``, ``huber``,
``rmsprop``)."""

from .huber import Huber
from .layer import LeakyReLU
from .rmsprop import RMSprop

__all__ = ["Huber", "LeakyReLU", "RMSprop"]
