r"""What nnplug writes and reads back: the npz ``container`` (arrays + a JSON header, no
pickle), the model ``header`` checks, ``model`` files (``nnplug.load``) and
``checkpoint``\ s."""
