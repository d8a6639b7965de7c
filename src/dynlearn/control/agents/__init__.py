"""Agents of ``dynlearn.control``: each runs from a typed config and logs returns, model losses and
wall time per step. PETS lives here (:mod:`dynlearn.control.agents.pets`); SAC and MBPO join it."""
