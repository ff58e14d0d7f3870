"""How low a loss can go: the data's floor, the output range's bound, this model's floor, the PCA reference.

Every floor says what it claims, relative to this run's model on this data:

- exact: this model class attains it on this data (proven, or solved to tolerance);
- lower bound: no model of this class can go under it;
- estimate: the best a solver found on a non-convex problem (neither a bound nor attained);
- reference: a number to compare with, no claim;
- reachable: this model class contains a model that reaches it, so its own floor is at most this (an upper
  value, not a bound: a run may go under it, and what lies above it is the optimizer's).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..config import losses
from ..config.config import RunConfig
from .logistic import GAP_TOL, LOGISTIC_FLOP_BUDGET, Bracket, logistic_bracket, logistic_cost, solvable
from .logistic_wide import wide_bracket, wide_cost_ok
from ..config.vocab import BOUNDING, Claim, FloorName

CLAIMS = tuple(Claim)
PCA_MAX_FEATURES = 2000  # a data card's PCA floors: a d × d eigendecomposition, about 1 s at d = 2,000
EXACT, LOWER_BOUND, ESTIMATE, REFERENCE = Claim.EXACT, Claim.LOWER_BOUND, Claim.ESTIMATE, Claim.REFERENCE
REACHABLE = Claim.REACHABLE


@dataclass(frozen=True)
class Floor:
    """One floor: which it is, its value, what it claims for this run's model, and why, in one sentence."""

    name: str
    value: float
    claim: str
    basis: str

    def to_dict(self) -> dict:
        """A JSON-ready dict (NaN as None)."""
        d = asdict(self)
        d["value"] = self.value if np.isfinite(self.value) else None
        return d

    @classmethod
    def from_dict(cls, raw: dict) -> Floor:
        """The inverse of to_dict; raises ValueError on a malformed entry."""
        if not isinstance(raw, dict) or raw.get("claim") not in CLAIMS or not isinstance(raw.get("name"), str):
            raise ValueError(f"not a floor: {raw!r:.80}")
        value = raw.get("value")
        return cls(raw["name"], float("nan") if value is None else float(value), Claim(raw["claim"]),
                   str(raw.get("basis", "")))


def entropy_elements(x: np.ndarray) -> np.ndarray:
    """Binary entropy in nats of each target in [0, 1], with 0·log 0 = 0."""
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -(np.where(x > 0, x * np.log(x), 0.0) + np.where(x < 1, (1 - x) * np.log1p(-x), 0.0))


ROWS_AT_ONCE = 1 << 12  # floors are computed over row blocks: float64 temporaries of a whole 1,000,000 × 100
#                        file took 40 bytes a value (4.7 GB peak where the guard had estimated 2.1)


def _blocks(x: np.ndarray):
    for start in range(0, x.shape[0], ROWS_AT_ONCE):
        yield x[start:start + ROWS_AT_ONCE]


def binary_entropy(x: np.ndarray) -> float:
    """Mean binary entropy in nats of targets in [0, 1]."""
    x = np.asarray(x)
    if x.ndim < 2:
        return float(entropy_elements(x).mean())
    return float(sum(entropy_elements(b).sum() for b in _blocks(x)) / x.size)


def row_entropy(x: np.ndarray) -> np.ndarray:
    """Each sample's mean binary entropy: a minibatch's BCE floor is the mean of its rows' values.

    BCE(x, x̂) = H(x) + KL(x‖x̂), so loss − floor of the very batch trained on is ≥ 0 exactly; the data
    set's floor alone would let a lucky low-entropy batch dip below it.
    """
    x = np.asarray(x)
    return np.concatenate([entropy_elements(b).mean(axis=1).astype(np.float32) for b in _blocks(x)]) \
        if len(x) else np.zeros(0, np.float32)


def pca_floors(x: np.ndarray, ks) -> list[float]:
    """Mean per-element variance left outside the top-k principal components, for each k in ks."""
    x = np.asarray(x)
    n, d = x.shape
    mean = x.mean(axis=0, dtype=np.float64)
    cov = np.zeros((d, d))
    for b in _blocks(x):  # the population covariance, a block of rows at a time (no centred copy of x)
        c = b.astype(np.float64) - mean
        cov += c.T @ c
    eig = np.linalg.eigvalsh(cov / n)  # ascending
    return [0.0 if k >= d else float(max(eig[: d - k].sum(), 0.0) / d) for k in ks]


def pca_floor(x: np.ndarray, k: int) -> float:
    """The MSE of the best rank-k affine map of x: a linear autoencoder with a k-d code (and biases)."""
    return pca_floors(x, [k])[0]


def range_distance(x: np.ndarray, loss: str) -> float:
    """The loss's mean distance of the targets to [0, 1] (squared for mse, absolute for l1): what a sigmoid
    cannot reach. For losses of the residual alone (losses.Loss.distance)."""
    x = np.asarray(x, dtype=np.float64)
    gap = np.maximum(x - 1.0, 0.0) + np.maximum(-x, 0.0)
    distance = losses.of(loss).distance
    assert distance is not None, f"{loss} is not a loss of the residual alone"
    return float(distance(gap).mean())


def is_affine(config: RunConfig) -> bool:
    """True when the model before its output activation is one affine map of x (a linear autoencoder)."""
    return config.model.kind == "linear" and config.model.code_activation == "identity"


def describe_model(config: RunConfig) -> str:
    """The run's model class in words: 'an affine + sigmoid model', 'a linear model with a 2-d code'."""
    k, out = config.encoding_dim, config.model.output
    if is_affine(config):
        base = "an affine" if not config.has_bottleneck else f"a linear model with a {k}-d code"
        if out == "sigmoid" or losses.of(config.loss.kind).sigmoid_inside:
            return base + (" + sigmoid model" if not config.has_bottleneck else " and a sigmoid")
        return base + (" model" if not config.has_bottleneck else "")
    if config.model.kind == "linear":
        return f"a linear model with a {config.model.code_activation} code"
    return f"this depth-{config.model.depth} {config.model.activation} MLP"


def data_floor(config: RunConfig, x: np.ndarray) -> Floor:
    """BCE: the targets' mean binary entropy; MSE, L1 and Huber: 0. A lower bound for every model."""
    if losses.of(config.loss.kind).cross_entropy:
        # BCE(x, x̂) = H(x) + KL(x‖x̂) ≥ H(x). torch's clamp of log at −100 lowers a saturated output's loss
        # (an infinite −t·log 0 is read as 100·t); that stays above H(t) unless t < e^−100, under float32's range.
        return Floor(FloorName.DATA, binary_entropy(x), LOWER_BOUND,
                     "the targets' mean binary entropy: BCE = entropy + KL, and KL ≥ 0 for any model")
    return Floor(FloorName.DATA, 0.0, LOWER_BOUND, f"{config.loss.kind} is never negative")


def output_range_floor(config: RunConfig, x: np.ndarray) -> Floor | None:
    """Sigmoid output under a loss of the residual (MSE, L1, Huber): the targets' distance to [0, 1], which no
    sigmoid output can cross (each loss grows with |residual|, and the residual is at least that distance)."""
    loss = losses.of(config.loss.kind)
    if config.model.output != "sigmoid" or loss.distance is None:
        return None
    value = range_distance(x, config.loss.kind)
    if value <= 0.0:
        return None
    return Floor(FloorName.OUTPUT_RANGE, value, LOWER_BOUND,
                 f"mean {loss.distance_words} distance of the targets to [0, 1], where a sigmoid output must stay")


def model_floor_is_slow(config: RunConfig, x: np.ndarray) -> bool:
    """True when solving this run's model floor would take more than about 2 s (solve it in the background)."""
    return needs_logistic(config) and has_solve(x) and (not solvable(x) or logistic_cost(x) > LOGISTIC_FLOP_BUDGET)


def has_solve(x: np.ndarray) -> bool:
    """True when the affine + sigmoid model's floor on x can be solved: formed Hessians (logistic.py) up to 256
    columns and their flop cap, Newton-CG (logistic_wide.py) beyond them, within its memory cap."""
    return solvable(x) or wide_cost_ok(x)


def solve_bracket(x: np.ndarray, stop=None) -> Bracket:
    """The affine + sigmoid model's certified bracket on x, by whichever solve fits its size; stop (asked between
    Newton steps) cuts it short, with the bracket it has."""
    return logistic_bracket(x, stop=stop) if solvable(x) else wide_bracket(x, stop=stop)


def _sigmoid_bce(config: RunConfig) -> bool:
    loss = losses.of(config.loss.kind)
    return loss.cross_entropy and (config.model.output == "sigmoid" or loss.sigmoid_inside)


def needs_logistic(config: RunConfig) -> bool:
    """True when this config's floors solve a soft logistic regression on the data."""
    # The affine + sigmoid model's own floor, or (with a k-d bottleneck, a subset of it) a bound on it; or the
    # value a model containing the affine + sigmoid model can reach (reachable_floor).
    return _sigmoid_bce(config) and (is_affine(config) or (contains_affine(config) and not config.has_bottleneck))


# How a linear decoder's code activation reaches the rank-k affine floor (the floor lattice: any code
# activation under a linear decoder puts x̂ in a k-dimensional affine subspace, so PCA bounds it).
_REACHED = {
    "relu": "a large code bias makes the ReLU code affine on the data, so it is attained",
    "leaky_relu": "a large code bias makes the leaky ReLU code affine on the data, so it is attained",
    "tanh": "small code weights make the tanh code affine to any tolerance, so it is approached (an infimum)",
    "sigmoid": "small code weights make the sigmoid code affine to any tolerance, so it is approached (an "
               "infimum)",
}


# How a hidden or code activation passes an affine map through on the data (the pass-through argument).
_PASSES = {
    "identity": None,
    "relu": "ReLU(z + b) = z + b on the data for a large enough bias b",
    "leaky_relu": "leaky ReLU(z + b) = z + b on the data for a large enough bias b",
    "tanh": "tanh(εz)/ε → z uniformly on the data as ε → 0",
    "sigmoid": "(sigmoid(εz) − ½)·4/ε → z uniformly on the data as ε → 0",
}


def contains_affine(config: RunConfig, d: int | None = None) -> bool:
    """True when this model class contains the rank-k affine map (k = the code size, at most d) followed by its
    output: every layer but the code is at least as wide as the input, and each activation passes an affine
    map through (a ReLU shifted to its linear side, a tanh or sigmoid scaled to its linear part), the next
    affine map undoing the shift or scale. The data are finite, hence bounded, which is all the shift needs.
    d: the data's width (default: the config's features)."""
    if is_affine(config):
        return False  # the model is that affine map itself: model_floor states its floor
    if config.model.kind == "linear":
        return True  # d → k → d: only the code layer, which any code activation passes (_PASSES)
    return config.model.kind == "mlp" and config.hidden >= (config.data.features if d is None else d)


def _attained(config: RunConfig) -> bool:
    # ReLU and leaky ReLU pass an affine map exactly; tanh and sigmoid only in the limit (an infimum).
    used = {config.model.code_activation} | ({config.model.activation} if config.model.kind == "mlp" else set())
    return used <= {"identity", "relu", "leaky_relu"}


def _pass_through(config: RunConfig, contained: str, d: int) -> str:
    """The basis of a reachable floor: 'contains <contained>: why'; contained_words reads the first part."""
    h = config.hidden
    acts = [config.model.code_activation] + ([config.model.activation] if config.model.kind == "mlp" else [])
    how = "; ".join(dict.fromkeys(p for p in (_PASSES[a] for a in acts) if p))
    widths = f"every hidden layer is {h} ≥ {d} wide, so " if config.model.kind == "mlp" else ""
    reach = "reaches" if _attained(config) else "approaches (an infimum)"
    return (f"contains {contained}: {widths}each layer passes an affine map of x through"
            + (f" ({how})" if how else "") + f" and the next affine map undoes it, so this model {reach} that "
            "model's floor")


def contained_words(floor: Floor) -> str:
    """The model a reachable floor's model class contains, read from its basis ('the affine + sigmoid model')."""
    head, sep, _ = floor.basis.partition(":")
    return head.removeprefix("contains ").strip() if sep and head.startswith("contains ") else "a model that reaches it"


def reachable_floor(config: RunConfig, x: np.ndarray, bracket=None, stop=None) -> Floor | None:
    """A value this model class provably reaches: the floor of a model it contains (contains_affine), so an upper
    value of its own floor; None where that contained model's floor is not known. Whatever this run's loss is
    above it, the optimizer left."""
    if not contains_affine(config, x.shape[1]):
        return None
    loss, k, out = losses.of(config.loss.kind), min(config.encoding_dim, x.shape[1]), config.model.output
    if out == "identity" and loss.distance is not None and not config.has_bottleneck:
        return Floor(FloorName.REACHED, 0.0, REACHABLE, _pass_through(config, "the identity map", x.shape[1]))
    if out == "identity" and loss.squared_error:
        return Floor(FloorName.PCA, pca_floor(x, k), REACHABLE,
                     _pass_through(config, f"the best rank-{k} affine map (PCA)", x.shape[1]))
    if _sigmoid_bce(config) and not config.has_bottleneck and has_solve(x):
        # The bracket's upper end is the loss of an affine map the solver found: reachable whether or not the
        # solve converged (its lower end bounds only the affine + sigmoid model, not this one).
        b = bracket if bracket is not None else solve_bracket(x, stop)
        return Floor(FloorName.REACHED, b.upper, REACHABLE, _pass_through(config, "the affine + sigmoid model", x.shape[1]))
    return None


def _settle(reached: Floor | None, bounds: list[Floor]) -> Floor | None:
    """A reachable value within GAP_TOL of a proven lower bound is the model's floor itself (exact: it lies in
    [bound, value]); else it stays a reachable value."""
    if reached is None:
        return None
    top = headline(bounds)
    if top is not None and reached.value - top.value <= GAP_TOL:
        return Floor(FloorName.MODEL, reached.value, EXACT,
                     f"{reached.basis}; and no model goes under the {top.name} floor {top.value:.6g}")
    return reached


def model_floor(config: RunConfig, x: np.ndarray, stop=None, bracket: Bracket | None = None) -> Floor | None:
    """The tightest floor this run's model class can be proven to have on this data (the floor lattice):
    its own, solved or certified; or that of a class containing it (a linear decoder ⊂ rank-k affine maps;
    a bottleneck ⊂ no bottleneck); None where neither is known (the data's floor then holds)."""
    loss, k = losses.of(config.loss.kind), config.encoding_dim
    linear_decoder = config.model.kind == "linear"
    if linear_decoder and config.model.output == "identity" and loss.squared_error and not is_affine(config):
        value = pca_floor(x, k) if config.has_bottleneck else 0.0
        return Floor(FloorName.MODEL, value, EXACT,
                     f"x̂ = W₂·{config.model.code_activation}(W₁x + b₁) + b₂ lies in a {min(k, x.shape[1])}-d affine "
                     f"subspace whatever the code activation, so the best rank-{k} affine map (PCA) bounds it; "
                     + _REACHED[config.model.code_activation])
    h = config.hidden
    if config.model.kind == "mlp" and config.model.output == "identity" and loss.squared_error and h < x.shape[1]:
        # The decoder's last layer is affine on a width-h hidden layer: x̂ lies in an h-d affine subspace.
        return Floor(FloorName.MODEL, pca_floor(x, h), LOWER_BOUND,
                     f"x̂ is an affine map of the decoder's last hidden layer ({h} wide), so it lies in an {h}-d "
                     f"affine subspace: the best rank-{h} affine map (PCA) bounds it")
    if not is_affine(config):
        return None
    # A loss of the residual alone is 0 where x̂ = x; with a bottleneck only the squared error's floor is known.
    if config.model.output == "identity" and loss.distance is not None and not config.has_bottleneck:
        return Floor(FloorName.MODEL, 0.0, EXACT, "no bottleneck: a linear model can copy x exactly")
    if config.model.output == "identity" and loss.squared_error:
        return Floor(FloorName.MODEL, pca_floor(x, k), EXACT,
                     f"variance outside the top {k} principal components: the best rank-{k} affine map")
    if needs_logistic(config) and has_solve(x):
        return logistic_floor(config, x, bracket, stop)
    return None


def logistic_floor(config: RunConfig, x: np.ndarray, bracket=None, stop=None) -> Floor:
    """The affine + sigmoid model's floor from a certified solve (logistic.logistic_bracket): exact when its
    bracket is narrower than GAP_TOL, else its proven lower end, with the best found named. With a bottleneck
    the same number bounds the model from below (a k-d code is a subset of the model without one)."""
    b = bracket if bracket is not None else solve_bracket(x, stop)
    solve = "one convex logistic regression with soft targets per output, solved in float64"
    if config.has_bottleneck:
        return Floor(FloorName.MODEL, b.lower, LOWER_BOUND,
                     f"a {config.encoding_dim}-d bottleneck is a subset of the affine + sigmoid model without one; "
                     f"that model's floor ({solve}, certified by its dual) bounds this one")
    if b.converged:
        return Floor(FloorName.MODEL, b.upper, EXACT,
                     f"{solve}; certified: its dual bound is within {GAP_TOL:g} nats")
    return Floor(FloorName.MODEL, b.lower, LOWER_BOUND,
                 f"{solve}, cut short: proven to lie in [{b.lower:.6g}, {b.upper:.6g}] (dual bound, best found)")


def pca_reference(config: RunConfig, x: np.ndarray) -> Floor | None:
    """MSE with a bottleneck on a model that is not linear: what a linear model would reach."""
    if not losses.of(config.loss.kind).squared_error or not config.has_bottleneck:
        return None
    if config.model.kind == "linear" and config.model.output == "identity":
        return None  # a linear decoder: there PCA is the model floor itself (model_floor)
    return Floor(FloorName.PCA, pca_floor(x, config.encoding_dim), REFERENCE,
                 f"what a linear model with a {config.encoding_dim}-d code reaches; a nonlinear model can beat it")


def floors_for(config: RunConfig, x: np.ndarray, *, solve_model: bool = True, stop=None) -> list[Floor]:
    """Every floor of config's model on data x; solve_model=False leaves out a model floor that needs a solve.
    stop: asked between a logistic solve's Newton steps; once true, the solve reports the bracket it has."""
    found = [data_floor(config, x), output_range_floor(config, x), pca_reference(config, x)]
    if solve_model or not needs_logistic(config):
        # One solve serves the model floor and the reachable value: a cut-short solve's best found is reachable.
        bracket = solve_bracket(x, stop) if needs_logistic(config) and has_solve(x) else None
        model = model_floor(config, x, stop, bracket)
        cut_short = bracket is not None and not bracket.converged
        data = found[0]
        if cut_short and model is not None and model.claim == LOWER_BOUND and data is not None \
                and model.value - data.value <= GAP_TOL:
            # Stopped before its dual bound rose above the targets' entropy: it proves nothing the data floor does
            # not ("at least 3.4e-12 is what an affine + sigmoid model cannot fit" was summation round-off).
            model = None
        found.append(model)
        if bracket is not None and cut_short and is_affine(config) and not config.has_bottleneck:
            found.append(Floor(FloorName.REACHED, bracket.upper, REACHABLE,
                               "the best affine + sigmoid map the cut-short solve found reaches it"))
        if model is None or model.claim != EXACT:
            reached = _settle(reachable_floor(config, x, bracket, stop), [f for f in found if f is not None])
            if reached is not None and reached.name in (FloorName.PCA, FloorName.MODEL):
                found = [f for f in found if f is None or f.name != FloorName.PCA]  # the same value, now reachable
            if reached is not None and reached.name == FloorName.MODEL:
                found = [f for f in found if f is None or f.name != FloorName.MODEL]
            found.append(reached)
    return [f for f in found if f is not None]


def headline(floors: list[Floor]) -> Floor | None:
    """The tightest floor that is exact or a lower bound; exact wins a tie."""
    bounding = [f for f in floors if f.claim in BOUNDING and np.isfinite(f.value)]
    if not bounding:
        return None
    return max(bounding, key=lambda f: (f.value, f.claim == EXACT))


def is_exact(floor: Floor | None) -> bool:
    """True when there is a floor and this model class attains it (the stored `floor_exact`)."""
    return floor is not None and floor.claim == EXACT


def find(floors: list[Floor], name: str) -> Floor | None:
    """The floor of that name, or None."""
    return next((f for f in floors if f.name == name), None)
