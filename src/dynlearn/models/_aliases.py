"""Names people type for models dynlearn has under another name or as an option.

An unknown model name is answered with the near registered names and, when
the name is a known alias, the registered model and option that give it
(``LSTM`` -> ``gru --set cell=lstm``).
"""

from __future__ import annotations

from dynlearn.errors import UnknownNameError
from dynlearn.registry import normalize_name

#: normalised alias -> (registered model, ``--set`` options or "", why)
RELATED: dict[str, tuple[str, str, str]] = {
    "lstm": ("gru", "cell=lstm", "an LSTM is the gru model's cell option"),
    "rnn": ("gru", "", "the recurrent network is gru (or cell=lstm)"),
    "recurrent": ("gru", "", "the recurrent network is gru (or cell=lstm)"),
    "reservoir": ("esn", "", "echo state network; ngrc is the next-generation reservoir"),
    "reservoircomputer": ("esn", "", "echo state network; ngrc is the next-generation reservoir"),
    "rc": ("esn", "", "echo state network; ngrc is the next-generation reservoir"),
    "nvar": ("ngrc", "", "NG-RC is a nonlinear vector autoregression"),
    "ode": ("neural_ode", "", "the learned vector field"),
    "node": ("neural_ode", "", "the learned vector field"),
    "plrnn": ("shplrnn", "", "the shallow piecewise-linear RNN"),
    "ar": ("linear_ar", "", "linear autoregression"),
    "var": ("linear_ar", "", "linear (vector) autoregression"),
    "arima": ("linear_ar", "", "the nearest is a linear autoregression"),
    "naive": ("persistence", "", "repeats the last state"),
    "lastvalue": ("persistence", "", "repeats the last state"),
    "attention": ("transformer", "", ""),
    "nbeats": ("nbeats", "", ""),
    "feedforward": ("mlp", "", ""),
    "mamba": ("dsf_s6", "", "the selective state-space layer (S6) of Mamba"),
    "s6": ("dsf_s6", "", "the selective state-space layer of Mamba"),
    "ssm": ("dsf_s6", "", "the selective state-space layer of Mamba"),
    "linearattention": ("dsf_linear", "", "linear attention as a DSF layer"),
    "softmaxattention": ("dsf_softmax", "", "causal softmax attention as a DSF layer"),
    "qlstm": ("dsf_qlstm", "", "the quasi-LSTM, gates read from the input only"),
}


def related_hint(name: str, known: list[str]) -> str:
    """``"; try `gru --set cell=lstm` (why)"`` for a known alias, else ``""``."""
    hit = RELATED.get(normalize_name(name))
    if hit is None or normalize_name(hit[0]) not in {normalize_name(k) for k in known}:
        return ""
    model, opts, why = hit
    cmd = f"{model} --set {opts}" if opts else model
    return f"; try `{cmd}`" + (f" ({why})" if why else "")


def unknown_model(name: str, known: list[str]) -> UnknownNameError:
    err = UnknownNameError("model", name, known)
    head = f"unknown model {name!r}"
    msg = err.args[0]
    if msg.startswith(head):  # the alias first, then the near names / the known list
        err.args = (head + related_hint(name, known) + msg[len(head) :],)
    return err
