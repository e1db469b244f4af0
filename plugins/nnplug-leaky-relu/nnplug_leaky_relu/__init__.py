"""nnplug-leaky-relu: an example third-party nnplug plugin (``leaky_relu``, ``gelu``,
``huber``, ``rmsprop``)."""

from .gelu import GELU
from .huber import Huber
from .layer import LeakyReLU
from .rmsprop import RMSprop

__all__ = ["GELU", "Huber", "LeakyReLU", "RMSprop"]
