"""The network and its training: ``sequential`` (the model), ``solver`` (the loop),
``metrics``, ``schedules``, ``training`` (a run from its options)."""
