"""nnplug's built-in dataset plugins. Heavy imports (scikit-learn) happen in ``load``."""
