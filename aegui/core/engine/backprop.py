"""The training step with its backward pass written by hand: no autograd graph for these tiny models.

For the seed's toy model a step is a dozen small kernels; autograd's graph, its dispatch and the Python
around them cost more than the arithmetic. Measured on the 2-core machine, one thread: a step took
about 135 µs with autograd and fused Adam, 55 µs written by hand; `aegui run` went 2.2x as fast
(benchmarks/bench_engine.py).

Each layer is z = b + a·W on K stacked copies (models.py); the forward keeps every layer's input a and
pre-activation z, and the backward walks them in reverse with the derivative formulas autograd itself
uses (aten's *_backward kernels), so the gradients match autograd's to float32 rounding
(tests/core/test_backprop.py: rtol 1e-5, every loss and activation, both layouts, 500-step curves).
Autograd stays the reference: AEGUI_AUTOGRAD=1 selects it, and so does anything not covered here.

Two layouts. Stacked: activations (K, B, width) and one bmm per product, a GEMM per copy. Packed, for
one copy and for bands of small layers (packs()): activations (B, K·width) and one mm per product for
all K copies, against block-diagonal matrices built from the weights each step. Its sums run in
another order than bmm's, so results differ from the stacked layout's by float32 rounding (~2e-7).
"""

from __future__ import annotations

import math
import os
from functools import partial
from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..config import losses
from .models import StackedAutoencoder
from .optim import SharedStepAdam, Stepper

AUTOGRAD_ENV = "AEGUI_AUTOGRAD"  # "1": train with autograd's backward, the reference path
LOSSES = tuple(name for name, loss in losses.LOSSES.items() if loss.grad is not None)  # those with a gradient
ACTIVATIONS = ("identity", "relu", "leaky_relu", "tanh", "sigmoid")

Step = Callable[[torch.Tensor], torch.Tensor]

# The packed layout (HandStep._pack) for one copy, or for a band whose every layer has K·in·K·out ≤
# PACKED_MAX and K·in·out ≤ PACKED_COPY_MAX: there one product of a block-diagonal matrix, K times the
# arithmetic, beats K tiny ones. Measured, step time bmm → packed, 2-core machine, one thread: the seed's
# model (widths 2) at K = 16: 139 → 94 µs; widths 4 or 8 at K·in·K·out = 4096: 1.13-1.36x as fast; past
# either bound slower (K = 64, widths 2: 0.86x; K = 4, widths 16: 0.75x; K = 16, widths 8: 0.83x).
PACKED_MAX = 4096
PACKED_COPY_MAX = 512


def packs(copies: int, shapes: list[tuple[int, int]]) -> bool:
    """True when HandStep trains these layers' (in, out) shapes in the packed layout."""
    k = copies
    return k == 1 or all(k * i * k * o <= PACKED_MAX and k * i * o <= PACKED_COPY_MAX for i, o in shapes)


def covers(model: StackedAutoencoder, kind: str) -> bool:
    """True when the hand-written step trains this model and loss: CPU, known activations and loss."""
    on_cpu = all(p.device.type == "cpu" for p in model.parameters())  # CUDA stays on autograd for now
    return (on_cpu and kind in LOSSES and all(a in ACTIVATIONS for a in model.activations)
            and os.environ.get(AUTOGRAD_ENV, "") not in ("1", "true", "yes"))


def make_step(model: StackedAutoencoder, opt: Stepper, kind: str) -> Step:
    """The step for this model: the hand-written one where it applies, autograd's otherwise."""
    if covers(model, kind):
        return HandStep(model, opt, kind)
    return partial(autograd_step, model, opt, kind)


def autograd_step(model: StackedAutoencoder, opt: Stepper, kind: str, xb: torch.Tensor) -> torch.Tensor:
    """The reference step: forward, autograd's backward of the sum of per-copy means, one update."""
    per_copy = losses.per_copy(kind, model(xb), xb)
    opt.opt.zero_grad(set_to_none=True)
    per_copy.sum().backward()  # sum of per-copy means: each copy gets its own mean's gradient
    opt.step()
    return per_copy.detach()


def _act_forward(name: str, z: torch.Tensor, slope: float) -> torch.Tensor:
    if name == "relu":
        return torch.relu(z)
    if name == "leaky_relu":
        return F.leaky_relu(z, slope)
    if name == "tanh":
        return torch.tanh(z)
    if name == "sigmoid":
        return torch.sigmoid(z)
    return z


def _act_backward(name: str, g: torch.Tensor, z: torch.Tensor, a: torch.Tensor, slope: float) -> torch.Tensor:
    # The kernels autograd's derivative formulas call, on the same saved tensors (z in, a out).
    if name == "relu":
        return torch.ops.aten.threshold_backward(g, a, 0)
    if name == "leaky_relu":
        return torch.ops.aten.leaky_relu_backward(g, z, slope, False)
    if name == "tanh":
        return torch.ops.aten.tanh_backward(g, a)
    if name == "sigmoid":
        return torch.ops.aten.sigmoid_backward(g, a)
    return g


def loss_and_grad(kind: str, out: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-copy mean loss (K,) for outputs (K, B, d), and its gradient with respect to the outputs."""
    # The loss itself is losses.per_copy, the one definition both paths share: the same (K,) tensor as
    # autograd's path, bce's log clamp at -100 included. Recomputing mse's difference costs ~1 µs.
    # (The packed layout takes losses.elements and reduces them itself, to float32 rounding.)
    return losses.per_copy(kind, out, target), loss_grad(kind, out, target)


def loss_grad(kind: str, out: torch.Tensor, target: torch.Tensor, count: int | None = None) -> torch.Tensor:
    """d(sum over copies of each copy's mean loss)/d(out): each copy's own mean's gradient.

    That is the elementwise derivative divided by B·d (count, for outputs not shaped (K, B, d)), the
    count in one copy's mean; the formulas are those autograd applies (pow, abs, aten's BCE backward).
    """
    grad = losses.of(kind).grad
    if grad is None:
        raise ValueError(f"loss {kind!r} has no hand-written gradient")
    return grad(out, target.expand_as(out), 1.0 / (count or out.shape[1] * out.shape[2]))


class HandStep:
    """One training step on a batch: forward, loss, hand-written backward, optimizer update.

    mode names it in the run's report ("hand-written backward"); autograd's step reports "autograd".

    Gradients are written into buffers that stay the parameters' .grad, so an optimizer other than
    fused Adam (Stepper) reads them where autograd would have left them.
    """

    mode = "hand-written backward"

    def __init__(self, model: StackedAutoencoder, opt: Stepper, kind: str):
        self.kind, self.copies, self.slope = kind, model.copies, model.slope
        self.acts = list(model.activations)
        self.sigmoid_output = model.sigmoid_output
        # Gradient buffers of their own, written in place each step and left as the parameters' .grad.
        params = list(model.weights) + list(model.biases)
        for p in params:
            p.grad = torch.zeros_like(p)
        self.update = SharedStepAdam(opt.opt, params).step if opt.params is not None else opt.step
        # Detached views record no graph, without the cost of entering torch.no_grad() every step.
        self.ws, self.bs = [w.detach() for w in model.weights], [b.detach() for b in model.biases]
        self.gws, self.gbs = [w.grad for w in model.weights], [b.grad for b in model.biases]
        k = self.copies
        self.packed = packs(k, [tuple(w.shape[1:]) for w in self.ws])
        if self.packed:
            self._pack()

    def _pack(self) -> None:
        """Buffers of the packed layout: activations (B, K·width), copy c's units in columns c·width on.

        Layer 0's input is the batch itself, shared by every copy: its matrix is (in, K·out), the K
        weights side by side. A later layer's is block-diagonal (K·in, K·out), copy c's weight in block
        (c, c) and zeros elsewhere, so one matrix product serves all K copies (zeros add exactly).
        With K = 1 the matrices are the parameters themselves and nothing is copied.
        """
        k = self.copies
        self.bflat = [b.view(-1) for b in self.bs]    # (K, 1, out) contiguous: (K·out), copy-major
        self.gbflat = [g.view(-1) for g in self.gbs]
        self.mats, self.mat_views, self.gmats, self.gviews = [], [], [], []
        self.tile: torch.Tensor | None = None
        self.ones = torch.ones(1, 0)
        for j, w in enumerate(self.ws):
            _, i, o = w.shape
            if k == 1:
                self.mats.append(w.view(i, o))
                self.gmats.append(self.gws[j].view(i, o))
                continue
            rows = i if j == 0 else k * i
            m, gm = w.new_zeros(rows, k * o), w.new_zeros(rows, k * o)
            if j == 0:  # element (i, c·out + o) holds W[c, i, o]
                view, gview = m.view(i, k, o).transpose(0, 1), gm.view(i, k, o).transpose(0, 1)
            else:       # block (c, c): element (c·in + i, c·out + o)
                shape, strides = (k, i, o), (i * k * o + o, k * o, 1)
                view, gview = m.as_strided(shape, strides), gm.as_strided(shape, strides)
            self.mats.append(m)
            self.mat_views.append(view)
            self.gmats.append(gm)    # layer j≥1: every block of a^T g; only the diagonal ones are kept
            self.gviews.append(gview)

    def __call__(self, xb: torch.Tensor) -> torch.Tensor:
        """Train one batch (B, d) shared by all copies; return its per-copy losses (K,)."""
        return self._packed_step(xb) if self.packed else self._stacked_step(xb)

    def _stacked_step(self, xb: torch.Tensor) -> torch.Tensor:
        saved, out = self.forward(xb)
        per_copy, g = loss_and_grad(self.kind, out, xb)
        if self.sigmoid_output:
            g = torch.ops.aten.sigmoid_backward(g, out)
        self.backward(saved, g)
        self.update()
        return per_copy

    def _packed_step(self, xb: torch.Tensor) -> torch.Tensor:
        """The same step in the packed layout (_pack): one matrix product per layer for all K copies."""
        k, (rows, d) = self.copies, xb.shape
        if self.mat_views:
            torch._foreach_copy_(self.mat_views, self.ws)  # this step's weights into the packed matrices
        a, saved = xb, []
        for m, b, act in zip(self.mats, self.bflat, self.acts):
            z = torch.addmm(b, a, m)
            out = _act_forward(act, z, self.slope)
            saved.append((a, z, out))
            a = out
        if self.sigmoid_output:
            a = torch.sigmoid(a)
        if k == 1:
            per_copy, g = loss_and_grad(self.kind, a.view(1, rows, d), xb)
            g = g.view(rows, d)
        else:
            # The target tiled K times, (B, K·d), by one product with tiled identities: exact (x·1 plus
            # zeros) for finite data; an inf in x makes every copy's loss non-finite, handled below.
            tiled = torch.mm(xb, self._tile(d))
            e = losses.elements(self.kind, a, tiled)
            per_copy = torch.mm(self._ones(rows), e).view(k, d).sum(1).mul_(1.0 / (rows * d))
            if not math.isfinite(per_copy.sum().item()):  # 1.5 µs; isfinite().all() took 6
                # A copy's inf or NaN crossed into the others through the zero blocks (0·inf = NaN):
                # redo this step copy by copy, so the finite copies keep their own losses and gradients.
                return self._stacked_step(xb)
            g = loss_grad(self.kind, a, tiled, rows * d)
        if self.sigmoid_output:
            g = torch.ops.aten.sigmoid_backward(g, a)
        for j in range(len(saved) - 1, -1, -1):
            a, z, out = saved[j]
            g = _act_backward(self.acts[j], g, z, out, self.slope)
            torch.mm(a.t(), g, out=self.gmats[j])
            torch.sum(g, dim=0, out=self.gbflat[j])  # the bias broadcasts over the batch
            if j:
                g = torch.mm(g, self.mats[j].t())
        if self.gviews:
            torch._foreach_copy_(self.gws, self.gviews)  # each copy's own block: its weight's gradient
        self.update()
        return per_copy

    def _tile(self, d: int) -> torch.Tensor:
        if self.tile is None:
            self.tile = torch.eye(d, dtype=self.ws[0].dtype).repeat(1, self.copies)
        tile: torch.Tensor = self.tile
        return tile

    def _ones(self, rows: int) -> torch.Tensor:
        if self.ones.shape[1] != rows:  # an epoch's partial last batch
            self.ones = self.ws[0].new_ones(1, rows)
        return self.ones

    def forward(self, xb: torch.Tensor) -> tuple[list, torch.Tensor]:
        """What the loss sees, and each layer's (input, pre-activation, output) for the backward."""
        a = xb.expand(self.copies, *xb.shape)
        saved = []
        for w, b, act in zip(self.ws, self.bs, self.acts):
            z = torch.baddbmm(b, a, w)
            out = _act_forward(act, z, self.slope)
            saved.append((a, z, out))
            a = out
        return saved, (torch.sigmoid(a) if self.sigmoid_output else a)

    def backward(self, saved: list, g: torch.Tensor) -> None:
        """Fill .grad of every weight and bias from g, the gradient at the last layer's output."""
        for j in range(len(saved) - 1, -1, -1):
            a, z, out = saved[j]
            g = _act_backward(self.acts[j], g, z, out, self.slope)
            torch.bmm(a.transpose(1, 2), g, out=self.gws[j])
            torch.sum(g, dim=1, keepdim=True, out=self.gbs[j])  # the bias broadcasts over the batch
            if j:
                g = torch.bmm(g, self.ws[j].transpose(1, 2))
