"""Where and how the maths runs: backend selection (``backends``), BLAS threads
(``threads``), the allocator tuned for training (``allocator``)."""
