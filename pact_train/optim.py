"""Optimizers, in order of increasing complexity: SGD with momentum, Adam; and the step schedule.

Regularisation is coupled L2 (added to the gradient, as tensorpack's ``regularize_cost`` does):
``grad += weight_decay * w`` for conv/dense weights and ``grad += lambda_alpha * alpha`` for PACT's
clipping levels (PACT section 4: L2 on alpha, with lambda_alpha = the weight decay by default).
BatchNorm parameters and biases are not decayed. Alphas may get their own learning-rate
multiplier and are kept >= `ALPHA_MIN` after each step (Distiller issue #524: a decayed alpha
that crosses zero breaks the quantizer).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pact_train.layers import Param

ALPHA_MIN = 1e-3


class Optimizer:
    """Shared parts: parameter list, per-kind decay, alpha clamp, state for checkpoints."""

    def __init__(
        self,
        params: Sequence[tuple[str, Param]],
        *,
        weight_decay: float = 0.0,
        lambda_alpha: float | None = None,
        alpha_lr_mult: float = 1.0,
    ) -> None:
        self.params = list(params)
        self.weight_decay = float(weight_decay)
        self.lambda_alpha = float(weight_decay if lambda_alpha is None else lambda_alpha)
        self.alpha_lr_mult = float(alpha_lr_mult)
        self.steps = 0
        self.state: dict[str, dict[str, np.ndarray]] = {}

    def _decay(self, p: Param) -> float:
        if p.kind == "weight":
            return self.weight_decay
        if p.kind == "alpha":
            return self.lambda_alpha
        return 0.0

    def _grad(self, p: Param) -> np.ndarray:
        d = self._decay(p)
        return p.grad + np.float32(d) * p.data if d else p.grad

    def _lr(self, p: Param, lr: float) -> np.float32:
        return np.float32(lr * (self.alpha_lr_mult if p.kind == "alpha" else 1.0))

    def step(self, lr: float) -> None:
        self.steps += 1
        for name, p in self.params:
            self._update(name, p, self._grad(p), self._lr(p, lr))
            if p.kind == "alpha":
                np.maximum(p.data, np.float32(ALPHA_MIN), out=p.data)

    def _update(self, name: str, p: Param, g: np.ndarray, lr: np.float32) -> None:
        raise NotImplementedError

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Flat ``{"slot/param": array}`` plus ``"steps"``, for an .npz checkpoint."""
        out = {f"{slot}/{name}": arr for name, slots in self.state.items() for slot, arr in slots.items()}
        out["steps"] = np.asarray(self.steps, np.int64)
        return out

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.steps = int(arrays["steps"])
        self.state = {}
        for key, arr in arrays.items():
            if key == "steps":
                continue
            slot, _, name = key.partition("/")
            self.state.setdefault(name, {})[slot] = np.array(arr)


class SGD(Optimizer):
    """SGD with (heavy-ball) momentum: ``v = mu*v + g``; ``w -= lr*v`` (PyTorch's form)."""

    def __init__(self, params: Sequence[tuple[str, Param]], *, momentum: float = 0.9, **kw: float | None) -> None:
        super().__init__(params, **kw)  # type: ignore[arg-type]
        self.momentum = np.float32(momentum)

    def _update(self, name: str, p: Param, g: np.ndarray, lr: np.float32) -> None:
        if self.momentum:
            slots = self.state.setdefault(name, {})
            v = slots.get("v")
            if v is None:
                # np.array, not astype: for a 0-d alpha, g is a NumPy scalar and would not update in place
                v = slots["v"] = np.array(g, dtype=p.data.dtype)
            else:
                v *= self.momentum
                v += g
            g = v
        p.data -= lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with coupled L2; PACT's SVHN setting uses eps = 1e-5."""

    def __init__(
        self,
        params: Sequence[tuple[str, Param]],
        *,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-5,
        **kw: float | None,
    ) -> None:
        super().__init__(params, **kw)  # type: ignore[arg-type]
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def _update(self, name: str, p: Param, g: np.ndarray, lr: np.float32) -> None:
        slots = self.state.setdefault(name, {})
        if "m" not in slots:
            slots["m"] = np.zeros_like(p.data)
            slots["v"] = np.zeros_like(p.data)
        m, v = slots["m"], slots["v"]
        b1, b2 = np.float32(self.beta1), np.float32(self.beta2)
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        t = self.steps
        step = np.float32(lr * np.sqrt(1 - self.beta2**t) / (1 - self.beta1**t))
        p.data -= step * m / (np.sqrt(v) + np.float32(self.eps))


OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def step_lr(base_lr: float, epoch: int, milestones: Sequence[int], gamma: float) -> float:
    """Step schedule: ``base_lr * gamma ** (number of milestones <= epoch)`` (epochs count from 0)."""
    return base_lr * gamma ** sum(1 for m in milestones if epoch >= m)


__all__ = ["ALPHA_MIN", "Adam", "OPTIMIZERS", "Optimizer", "SGD", "step_lr"]
