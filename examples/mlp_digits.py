"""Train a multilayer perceptron on scikit-learn's handwritten digits.

The loss is written once with `funcgrad.numpy`; `fg.value_and_grad` turns it
into a function returning the loss and its gradient with respect to every
weight, and Adam updates the parameters with `fg.tree_util.tree_map`. The
data (1,797 8x8 images, bundled with scikit-learn) needs no download.

    python examples/mlp_digits.py                 # about 97% held out
    python examples/mlp_digits.py --show-program  # print the gradient program
    python examples/mlp_digits.py --plot loss.png # save the loss curve

The script exits with status 1 when the held-out accuracy ends below
`--min-accuracy`, so it doubles as an end-to-end check of funcgrad.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import sys
import time
from typing import Any, NamedTuple

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.nn import one_hot
from funcgrad.tree_util import tree_leaves, tree_map

try:
    from tqdm import tqdm
except ImportError:  # tqdm comes with the `examples` extra; the bar is optional

    def tqdm(iterable: Any, **kwargs: Any) -> Any:
        return iterable


NUM_CLASSES = 10

Params = list[dict[str, np.ndarray]]


# --- data ---------------------------------------------------------------------


def load_data(
    test_size: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Standardized train and test features and integer labels."""
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data,
        digits.target,
        test_size=test_size,
        random_state=seed,
        stratify=digits.target,
    )

    # Fit the scaling on the training split only, so no test data leaks in.
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_test), y_train, y_test


# --- model --------------------------------------------------------------------


def init_params(sizes: list[int], rng: np.random.Generator) -> Params:
    """One `{"w", "b"}` dict per layer, scaled so activations keep unit size."""
    return [
        {
            "w": rng.normal(size=(n_in, n_out)) / np.sqrt(n_in),
            "b": np.zeros(n_out),
        }
        for n_in, n_out in itertools.pairwise(sizes)
    ]


def logits(params: Params, x: Any) -> Any:
    """The unnormalized class scores: tanh hidden layers, a linear last one."""
    *hidden, last = params
    for layer in hidden:
        x = fnp.tanh(x @ layer["w"] + layer["b"])
    return x @ last["w"] + last["b"]


def log_softmax(z: Any) -> Any:
    # Subtracting the row maximum keeps exp from overflowing. The log-sum-exp
    # does not depend on the shift, so the shift needs no derivative.
    shift = fg.stop_gradient(fnp.max(z, axis=1, keepdims=True))
    z = z - shift
    return z - fnp.log(fnp.sum(fnp.exp(z), axis=1, keepdims=True))


def loss(params: Params, x: Any, y_one_hot: Any, weight_decay: float) -> Any:
    """Mean softmax cross-entropy plus an L2 penalty on the weights."""
    log_probs = log_softmax(logits(params, x))
    cross_entropy = -fnp.mean(fnp.sum(y_one_hot * log_probs, axis=1))
    l2 = sum(fnp.sum(layer["w"] ** 2) for layer in params)
    return cross_entropy + weight_decay * l2


def accuracy(params: Params, x: np.ndarray, labels: np.ndarray) -> float:
    # Outside a transform `funcgrad.numpy` is plain numpy, so this is numpy.
    return float(np.mean(np.argmax(logits(params, x), axis=1) == labels))


# --- optimiser ----------------------------------------------------------------


class AdamState(NamedTuple):
    step: int
    mean: Params
    var: Params


def adam_init(params: Params) -> AdamState:
    zeros = tree_map(np.zeros_like, params)
    return AdamState(0, zeros, zeros)


def adam_update(
    params: Params,
    grads: Params,
    state: AdamState,
    lr: float,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[Params, AdamState]:
    """One Adam step (Kingma and Ba, 2015) over a whole pytree of parameters."""
    step = state.step + 1
    mean = tree_map(lambda m, g: b1 * m + (1 - b1) * g, state.mean, grads)
    var = tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, state.var, grads)

    # Fold the bias corrections for the zero-initialized moments into lr.
    lr_t = lr * np.sqrt(1 - b2**step) / (1 - b1**step)

    def update(p: np.ndarray, m: np.ndarray, v: np.ndarray) -> np.ndarray:
        return p - lr_t * m / (np.sqrt(v) + eps)

    return tree_map(update, params, mean, var), AdamState(step, mean, var)


# --- training -----------------------------------------------------------------


def minibatches(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    order = rng.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def show_program(params: Params, x: np.ndarray, y: np.ndarray, wd: float) -> None:
    """Print the program `grad(loss)` runs, and what its backward pass saves."""
    print(fg.make_jaxpr(fg.grad(loss))(params, x, y, wd))
    saved = fg.residuals(loss)(params, x, y, wd)
    total = sum(r.nbytes for r in saved)
    print(f"{len(saved)} residuals saved for the backward pass, {total:,} bytes:")
    for r in saved:
        print(f"  {r.name}: {r.dtype}{list(r.shape)} from {r.source}")
    print()


def save_plot(path: str, history: list[tuple[int, float, float]]) -> None:
    """The training loss and accuracy per epoch, as an image at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs, losses, accuracies = zip(*history)
    fig, (left, right) = plt.subplots(1, 2, figsize=(7, 2.8), layout="constrained")
    left.semilogy(epochs, losses, "o-", color="#3b6ea5", markersize=3)
    left.set(xlabel="epoch", ylabel="training loss", title="cross-entropy + L2")
    right.plot(epochs, [100 * a for a in accuracies], "o-", color="#c4661f", ms=3)
    right.set(xlabel="epoch", ylabel="accuracy (%)", title="training accuracy")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam step size")
    parser.add_argument(
        "--hidden",
        type=int,
        nargs="+",
        default=[128, 64],
        help="hidden layer widths",
    )
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--test-size", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--min-accuracy",
        type=float,
        default=0.95,
        help="exit with status 1 if the held-out accuracy ends below this",
    )
    parser.add_argument(
        "--show-program",
        action="store_true",
        help="print the gradient program and its residuals before training",
    )
    parser.add_argument(
        "--plot",
        metavar="PATH",
        help="save the loss and accuracy curves to PATH (needs matplotlib)",
    )
    args = parser.parse_args(argv)
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        parser.error("--plot needs matplotlib: pip install matplotlib")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)
    x_train, x_test, y_train, y_test = load_data(args.test_size, args.seed)
    y_train_one_hot = one_hot(y_train, NUM_CLASSES)

    sizes = [x_train.shape[1], *args.hidden, NUM_CLASSES]
    params = init_params(sizes, rng)
    num_params = sum(leaf.size for leaf in tree_leaves(params))
    print(
        f"digits: {len(x_train)} train, {len(x_test)} test; "
        f"MLP {'-'.join(map(str, sizes))} ({num_params:,} parameters)"
    )
    if args.show_program:
        batch = slice(0, args.batch_size)
        show_program(params, x_train[batch], y_train_one_hot[batch], args.weight_decay)

    loss_and_grad = fg.value_and_grad(loss)
    state = adam_init(params)
    history = []
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        batches = minibatches(len(x_train), args.batch_size, rng)
        total = 0.0
        for idx in tqdm(batches, desc=f"epoch {epoch}", leave=False, disable=None):
            value, grads = loss_and_grad(
                params, x_train[idx], y_train_one_hot[idx], args.weight_decay
            )
            params, state = adam_update(params, grads, state, args.lr)
            total += float(value) * len(idx)
        train_acc = accuracy(params, x_train, y_train)
        history.append((epoch, total / len(x_train), train_acc))
        print(
            f"epoch {epoch:3d}  loss {total / len(x_train):.4f}  "
            f"train acc {train_acc:.2%}"
        )
    elapsed = time.perf_counter() - start
    if args.plot and history:
        save_plot(args.plot, history)

    test_acc = accuracy(params, x_test, y_test)
    print(f"trained {args.epochs} epochs in {elapsed:.1f} s")
    print(f"held-out accuracy: {test_acc:.1%}")
    if test_acc < args.min_accuracy:
        print(
            f"error: held-out accuracy {test_acc:.1%} is below the required "
            f"{args.min_accuracy:.1%}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
