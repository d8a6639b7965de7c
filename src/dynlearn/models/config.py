"""Old home of :mod:`dynlearn.config`, kept importable."""

from dynlearn.config import ModelConfig, build_config, config_to_dict  # noqa: F401
