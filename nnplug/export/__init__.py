"""Exporting models: ONNX graphs (``onnx``), built with the small ``graph`` builder that
plugin converters use, and the input ``scaling`` expressed as ONNX nodes."""
