"""Old private name of :mod:`dynlearn.models.torch_model`, kept importable."""

from dynlearn.models.torch_model import TorchModel, torch_generator  # noqa: F401
