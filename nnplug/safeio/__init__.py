"""Safe input and output: what every reader and writer of nnplug goes through.

``limits`` (the memory cap and file kinds), ``npy`` (npy/npz read within declared sizes),
``tables`` with ``csvtables`` and ``npztables`` (the one reader of a user's tables: CSV,
``.npy``, ``.npz``), ``outputs`` (the output guard and atomic writes), ``text`` (strict
numbers and the one sanitiser of printed text), ``dirlock`` (directory locks). A
documented helper package: plugins may import it. It imports only the contract.
"""
