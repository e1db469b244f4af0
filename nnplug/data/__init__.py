"""From arrays to training data: :class:`~nnplug.base.Data` from arrays in memory
(``arrays``), seeded stratified splits (``split``), input scaling fitted on the training
split (``fitting``) and applied from plain arrays (``scaling``). A documented helper package:
the dataset plugins build on it. It imports only the contract.
"""
