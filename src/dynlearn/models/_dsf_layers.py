"""Sequence layers of the Dynamical Systems Framework (DSF), each in two forms.

Sieber, Alonso, Didier, Zeilinger & Orvieto (2024), *Understanding the differences
in Foundation Models: Attention, State Space Models, and Recurrent Neural
Networks* (NeurIPS), write softmax attention, linear attention, selective
state-space models and gated RNNs as one time-varying linear system

    h_t = Λ_t h_{t-1} + B_t u_t,    y_t = C_t h_t,

where Λ_t, B_t, C_t may depend on the inputs u_1..u_t. Every layer here maps
``(batch, time, d)`` to ``(batch, time, d)`` and has

* ``forward(u)``: its usual parallel form (masked matrix products, or an
  associative scan: no Python loop over time);
* ``init_state(batch)`` / ``step(state, u_t)``: the recurrent DSF form, one
  step at a time; ``recurrent(u)`` runs it over a whole sequence.

Both forms compute the same function (tested to 1e-5 in float64). The state of
the recurrent form has a size independent of t for every layer but softmax
attention, whose exact state (the key/value cache) grows with t.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


def linear_scan(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """All states of h_t = a_t ⊙ h_{t-1} + b_t, h_0 = 0, along dim 1 (elementwise a, b of equal shape).

    Hillis–Steele inclusive scan of the associative operator
    (a_1, b_1) ∘ (a_2, b_2) = (a_1 a_2, a_2 b_1 + b_2): ⌈log₂ T⌉ vectorised levels
    instead of T sequential steps. With 0 ≤ a ≤ 1 every partial product stays in
    [0, 1], so the scan is as stable as the recurrence itself.
    """
    length, off = a.shape[1], 1
    while off < length:
        a_prev = torch.cat([torch.ones_like(a[:, :off]), a[:, :-off]], dim=1)
        b_prev = torch.cat([torch.zeros_like(b[:, :off]), b[:, :-off]], dim=1)
        b = a * b_prev + b
        a = a * a_prev
        off *= 2
    return b


def causal_mask(length: int, device=None) -> torch.Tensor:
    """Boolean (T, T), True where s ≤ t (position t may read position s)."""
    return torch.ones(length, length, dtype=torch.bool, device=device).tril()


# --- functional cores on projected queries, keys and values ---------------------------------------------
def softmax_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Causal y_t = Σ_{s≤t} exp(q_t·k_s/√d_k) v_s / Σ_{s≤t} exp(q_t·k_s/√d_k); (B, T, d_v)."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(~causal_mask(q.shape[1], q.device), float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def linear_attention(fq: torch.Tensor, fk: torch.Tensor, v: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """Causal y_t = Σ_{s≤t} (φ(q_t)·φ(k_s)) v_s [/ Σ_{s≤t} φ(q_t)·φ(k_s)] from features ``fq``, ``fk`` (B, T, m)."""
    weights = (fq @ fk.transpose(-1, -2)).masked_fill(~causal_mask(fq.shape[1], fq.device), 0.0)
    out = weights @ v
    return out / weights.sum(-1, keepdim=True) if normalize else out


def linear_attention_recurrent(fq, fk, v, normalize: bool = True) -> torch.Tensor:
    """The same map as :func:`linear_attention`, step by step through the state S_t = S_{t-1} + φ(k_t) v_tᵀ."""
    S = fq.new_zeros(fq.shape[0], fq.shape[-1], v.shape[-1])
    z = fq.new_zeros(fq.shape[0], fq.shape[-1])
    out = []
    for t in range(fq.shape[1]):
        S = S + fk[:, t, :, None] * v[:, t, None, :]
        z = z + fk[:, t]
        y = torch.einsum("bm,bmv->bv", fq[:, t], S)
        out.append(y / (fq[:, t] * z).sum(-1, keepdim=True) if normalize else y)
    return torch.stack(out, dim=1)


def selective_scan(u, delta, A, Bm, Cm) -> torch.Tensor:
    """S6 core, parallel: y_t = C_t · h_t with h_t = exp(Δ_t A) ⊙ h_{t-1} + Δ_t B_t u_t (per channel).

    ``u`` (B, T, d); ``delta`` (B, T, d) or (B, T, 1) (one Δ_t shared by the channels);
    ``A`` (d, N) (≤ 0 for a stable system); ``Bm``, ``Cm`` (B, T, N). The state is
    (B, T, d, N); the scan is :func:`linear_scan`.
    """
    a = torch.exp(delta[..., None] * A)
    b = (delta * u)[..., None] * Bm[:, :, None, :]
    return torch.einsum("btdn,btn->btd", linear_scan(a, b), Cm)


def selective_scan_recurrent(u, delta, A, Bm, Cm) -> torch.Tensor:
    """The same map as :func:`selective_scan`, one step at a time with a (B, d, N) state."""
    h = u.new_zeros(u.shape[0], u.shape[-1], A.shape[-1])
    out = []
    for t in range(u.shape[1]):
        h = torch.exp(delta[:, t, :, None] * A) * h + (delta[:, t] * u[:, t])[..., None] * Bm[:, t, None, :]
        out.append(torch.einsum("bdn,bn->bd", h, Cm[:, t]))
    return torch.stack(out, dim=1)


# --- feature maps that turn softmax attention into a finite-state DSF ------------------------------------
def elu_features(x: torch.Tensor) -> torch.Tensor:
    """φ(x) = elu(x) + 1 > 0 (Katharopoulos et al. 2020)."""
    return F.elu(x) + 1.0


def positive_random_features(x: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """φ(x) = exp(W x − ‖x‖²/2)/√m, rows of W (m, d) drawn N(0, I): E[φ(q)·φ(k)] = exp(q·k)
    (Choromanski et al. 2021, FAVOR+). Scale q and k by d^{-1/4} first for the softmax kernel."""
    return torch.exp(x @ W.T - 0.5 * (x * x).sum(-1, keepdim=True)) / math.sqrt(W.shape[0])


def taylor_features(x: torch.Tensor, order: int) -> torch.Tensor:
    """φ(x) = [1, x, x⊗x/√2!, …, x^{⊗p}/√p!] so φ(q)·φ(k) = Σ_{j≤p} (q·k)^j / j!, the Taylor
    polynomial of exp(q·k); the feature (and state) size is Σ_{j≤p} d^j."""
    feats, term = [torch.ones_like(x[..., :1])], torch.ones_like(x[..., :1])
    for j in range(1, order + 1):
        term = (term[..., :, None] * x[..., None, :]).flatten(-2) / math.sqrt(j)
        feats.append(term)
    return torch.cat(feats, dim=-1)


# --- the layers ----------------------------------------------------------------------------------------
class DSFLayer(nn.Module):
    """Common recurrent driver: ``recurrent(u)`` steps ``step`` over time from ``init_state``."""

    def init_state(self, batch: int, like: torch.Tensor) -> Any:
        raise NotImplementedError

    def step(self, state: Any, u_t: torch.Tensor) -> tuple[Any, torch.Tensor]:
        raise NotImplementedError

    def recurrent(self, u: torch.Tensor) -> torch.Tensor:
        state, out = self.init_state(u.shape[0], u), []
        for t in range(u.shape[1]):
            state, y = self.step(state, u[:, t])
            out.append(y)
        return torch.stack(out, dim=1)

    @staticmethod
    def state_numel(state: Any) -> int:
        """Numbers held in a recurrent state (a tensor or a tuple of tensors)."""
        parts = state if isinstance(state, (tuple, list)) else (state,)
        return sum(p.numel() for p in parts)


class SoftmaxAttention(DSFLayer):
    """Causal single-head softmax attention, y_t = W_o Σ_{s≤t} softmax_s(q_t·k_s/√d) v_s,
    q, k, v = W_q u, W_k u, W_v u.

    DSF form: with the exponential kernel's feature map φ (exp(q·k) = φ(q)·φ(k),
    infinite-dimensional), h_t = [Σ_{s≤t} φ(k_s) v_sᵀ ; Σ_{s≤t} φ(k_s)] has Λ_t = I and
    B_t u_t = [φ(k_t) v_tᵀ ; φ(k_t)], and y_t = C_t h_t with C_t = φ(q_t)ᵀ followed by the
    division of the two readouts. No finite state represents it exactly; the
    recurrent form here keeps the exact equivalent, the key/value cache
    (K_{1:t}, V_{1:t}), whose size grows linearly in t. :func:`taylor_features` and
    :func:`positive_random_features` give finite-state approximations.
    """

    def __init__(self, d: int):
        super().__init__()
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.out = nn.Linear(d, d)

    def forward(self, u):
        q, k, v = self.qkv(u).chunk(3, dim=-1)
        return self.out(softmax_attention(q, k, v))

    def init_state(self, batch, like):
        empty = like.new_zeros(batch, 0, like.shape[-1])
        return (empty, empty)

    def step(self, state, u_t):
        q, k, v = self.qkv(u_t).chunk(3, dim=-1)
        keys, values = torch.cat([state[0], k[:, None]], 1), torch.cat([state[1], v[:, None]], 1)
        w = torch.softmax(torch.einsum("bd,bsd->bs", q, keys) / math.sqrt(q.shape[-1]), dim=-1)
        return (keys, values), self.out(torch.einsum("bs,bsd->bd", w, values))


class LinearAttention(DSFLayer):
    """Causal linear attention (Katharopoulos et al. 2020) with feature map φ (``"elu"``: elu+1,
    ``"identity"``), y_t = W_o Σ_{s≤t} (φ(q_t)·φ(k_s)) v_s / η_t, η_t = φ(q_t)·Σ_{s≤t} φ(k_s)
    (η_t = 1 without ``normalize``).

    DSF form: state h_t = (S_t, z_t) ∈ R^{d×d} × R^d, Λ_t = I, B_t u_t = (φ(k_t) v_tᵀ, φ(k_t)),
    readout C_t = φ(q_t)ᵀ on both parts, y_t = W_o (S_tᵀ φ(q_t)) / (z_t·φ(q_t)). The state
    size d² + d does not grow with t.
    """

    def __init__(self, d: int, feature: str = "elu", normalize: bool = True):
        super().__init__()
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.out = nn.Linear(d, d)
        self.phi = elu_features if feature == "elu" else (lambda x: x)
        self.normalize = normalize

    def _qkv(self, u):
        q, k, v = self.qkv(u).chunk(3, dim=-1)
        return self.phi(q), self.phi(k), v

    def forward(self, u):
        return self.out(linear_attention(*self._qkv(u), normalize=self.normalize))

    def init_state(self, batch, like):
        d = like.shape[-1]
        return (like.new_zeros(batch, d, d), like.new_zeros(batch, d))

    def step(self, state, u_t):
        fq, fk, v = self._qkv(u_t)
        S, z = state[0] + fk[:, :, None] * v[:, None, :], state[1] + fk
        y = torch.einsum("bm,bmv->bv", fq, S)
        if self.normalize:
            y = y / (fq * z).sum(-1, keepdim=True)
        return (S, z), self.out(y)


class SelectiveSSM(DSFLayer):
    """S6, the selective state-space layer of Mamba (Gu & Dao 2023) without its convolution and gate.

    Per channel i of u_t ∈ R^d, with state h^i_t ∈ R^N:

        Δ_t = softplus(W_Δ u_t + b_Δ),   B_t = W_B u_t,   C_t = W_C u_t,
        h^i_t = exp(Δ^i_t A_i) ⊙ h^i_{t-1} + Δ^i_t B_t u^i_t,   y^i_t = C_t·h^i_t + D_i u^i_t,

    A_i = −exp(a_i) < 0 (S4D-real initialisation a_{i,n} = log n). DSF form: Λ_t =
    diag(exp(Δ_t ⊗ A)) (input-dependent, "selective"), B_t = Δ_t ⊗ B_t, C_t = C_tᵀ per
    channel; the state size d·N does not grow with t. With ``shared_delta`` one Δ_t
    (W_Δ ∈ R^{1×d}) is shared by all channels, the restriction under which S6 with
    A = 0 becomes linear attention (``dynlearn repro dsf``). The parallel form is
    :func:`selective_scan` (an associative scan, no loop over time).
    """

    def __init__(self, d: int, state: int = 8, shared_delta: bool = False):
        super().__init__()
        self.delta = nn.Linear(d, 1 if shared_delta else d)
        self.BC = nn.Linear(d, 2 * state, bias=False)
        self.a_log = nn.Parameter(torch.log(torch.arange(1, state + 1, dtype=torch.float32)).repeat(d, 1))
        self.D = nn.Parameter(torch.ones(d))
        self.out = nn.Linear(d, d)
        with torch.no_grad():  # Δ starts in [0.001, 0.1], as in Mamba
            self.delta.bias.copy_(torch.log(torch.expm1(torch.linspace(1e-3, 0.1, self.delta.out_features))))

    def _parts(self, u):
        Bm, Cm = self.BC(u).chunk(2, dim=-1)
        return F.softplus(self.delta(u)), -torch.exp(self.a_log), Bm, Cm

    def forward(self, u):
        return self.out(selective_scan(u, *self._parts(u)) + self.D * u)

    def init_state(self, batch, like):
        return like.new_zeros(batch, like.shape[-1], self.a_log.shape[-1])

    def step(self, h, u_t):
        delta, A, Bm, Cm = self._parts(u_t)
        h = torch.exp(delta[..., None] * A) * h + (delta * u_t)[..., None] * Bm[:, None, :]
        return h, self.out(torch.einsum("bdn,bn->bd", h, Cm) + self.D * u_t)


class QLSTM(DSFLayer):
    """The quasi-LSTM as the DSF paper frames gated RNNs: gates read only the input,

        f_t, i_t, o_t = σ(W_{f,i,o} u_t + b),   c̃_t = tanh(W_c u_t + b_c),
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t,        y_t = W_o (o_t ⊙ c_t),

    so Λ_t = diag(f_t), B_t = diag(i_t) (acting on the transformed input c̃_t),
    C_t = diag(o_t): a diagonal selective system with state size d. Without the
    dependence of the gates on c_{t-1} (the LSTM's), the parallel form is the same
    associative scan as S6 (Bradbury et al. 2017, quasi-recurrent networks).
    """

    def __init__(self, d: int):
        super().__init__()
        self.gates = nn.Linear(d, 4 * d)
        self.out = nn.Linear(d, d)
        with torch.no_grad():  # forget gates start near 1 (long memory)
            self.gates.bias[:d].fill_(1.0)

    def _parts(self, u):
        f, i, o, c = self.gates(u).chunk(4, dim=-1)
        return torch.sigmoid(f), torch.sigmoid(i) * torch.tanh(c), torch.sigmoid(o)

    def forward(self, u):
        f, b, o = self._parts(u)
        return self.out(o * linear_scan(f, b))

    def init_state(self, batch, like):
        return like.new_zeros(batch, like.shape[-1])

    def step(self, c, u_t):
        f, b, o = self._parts(u_t)
        c = f * c + b
        return c, self.out(o * c)


LAYERS = {"softmax": SoftmaxAttention, "linear": LinearAttention, "s6": SelectiveSSM, "qlstm": QLSTM}
