"""``nnplug sweep``: one training run per point of a hyperparameter grid, locally
(``local``) or on a Dask cluster (``cluster``); the click ``command``, the ``run`` engine,
``grid`` parsing, ``trial`` runs, ``results`` and the ``report``."""
