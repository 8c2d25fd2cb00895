"""Per-example gradients with `vmap` of `grad`, and DP-SGD-style training.

`fg.grad(example_loss)` is the gradient of the loss of one example;
`fg.vmap(..., in_axes=(None, 0, 0))` maps it over the rows of the features
and labels while sharing the parameters, so one call returns every
example's gradient, each leaf with a leading batch axis. A tanh network
learns scikit-learn's bundled handwritten digits with differentially
private SGD updates (each example's gradient clipped to a fixed norm, then
Gaussian noise added to their sum), and afterwards the per-example gradient
norms on the training set point at its hardest examples.

    python examples/per_example_gradients.py
    python examples/per_example_gradients.py --noise 0 --clip 1e9  # plain SGD

The script exits with status 1 when the batched gradients differ from a
Python loop of `fg.grad` calls on `--check-examples` examples, or when the
held-out accuracy ends below `--min-accuracy`. It computes no privacy
budget: that needs a privacy accountant, which is outside this example.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np
from mlp_digits import load_data  # the same split and scaling

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.nn import one_hot
from funcgrad.tree_util import tree_leaves, tree_map

NUM_CLASSES = 10

Params = dict[str, np.ndarray]


# --- data ---------------------------------------------------------------------


# --- model --------------------------------------------------------------------


def init_params(n_in: int, hidden: int, rng: np.random.Generator) -> Params:
    return {
        "w1": rng.normal(size=(n_in, hidden)) / np.sqrt(n_in),
        "b1": np.zeros(hidden),
        "w2": rng.normal(size=(hidden, NUM_CLASSES)) / np.sqrt(hidden),
        "b2": np.zeros(NUM_CLASSES),
    }


def logits(params: Params, x: Any) -> Any:
    """Class scores for one example `x` of shape (64,), or for a batch."""
    h = fnp.tanh(x @ params["w1"] + params["b1"])
    return h @ params["w2"] + params["b2"]


def example_loss(params: Params, x: Any, y_one_hot: Any) -> Any:
    """Softmax cross-entropy of a single example; `vmap` adds the batch."""
    z = logits(params, x)
    z = z - fg.stop_gradient(fnp.max(z))  # the shift keeps exp finite
    return fnp.log(fnp.sum(fnp.exp(z))) - fnp.sum(y_one_hot * z)


per_example_grads = fg.vmap(fg.grad(example_loss), in_axes=(None, 0, 0))
per_example_losses = fg.vmap(example_loss, in_axes=(None, 0, 0))


def grad_norms(grads: Params) -> np.ndarray:
    """The Euclidean norm of each example's gradient over all parameters."""
    squares = [np.sum(g.reshape(len(g), -1) ** 2, axis=1) for g in tree_leaves(grads)]
    return np.sqrt(sum(squares))


def accuracy(params: Params, x: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(logits(params, x), axis=1) == labels))


# --- DP-SGD -------------------------------------------------------------------


def dp_sgd_step(
    params: Params,
    x: np.ndarray,
    y_one_hot: np.ndarray,
    args: argparse.Namespace,
    rng: np.random.Generator,
) -> tuple[Params, float]:
    """One step of DP-SGD (Abadi et al., 2016); returns the fraction clipped.

    Each example's gradient is scaled down to norm at most `args.clip`, so no
    single example can move the parameters by more than a fixed amount;
    noise of standard deviation `args.noise * args.clip` hides the rest.
    """
    grads = per_example_grads(params, x, y_one_hot)
    norms = grad_norms(grads)
    scale = np.minimum(1.0, args.clip / np.maximum(norms, 1e-12))

    def noisy_mean(g: np.ndarray) -> np.ndarray:
        total = np.tensordot(scale, g, axes=1)
        total = total + args.noise * args.clip * rng.normal(size=total.shape)
        return total / len(x)

    def update(p: np.ndarray, g: np.ndarray) -> np.ndarray:
        return p - args.lr * g

    params = tree_map(update, params, tree_map(noisy_mean, grads))
    return params, float(np.mean(norms > args.clip))


def train(
    params: Params,
    x: np.ndarray,
    y: np.ndarray,
    args: argparse.Namespace,
    rng: np.random.Generator,
) -> Params:
    y_one_hot = one_hot(y, NUM_CLASSES)
    clipped = []
    for step in range(1, args.steps + 1):
        batch = rng.choice(len(x), size=args.batch_size, replace=False)
        params, frac = dp_sgd_step(params, x[batch], y_one_hot[batch], args, rng)
        clipped.append(frac)
        if step % args.print_every == 0 or step == args.steps:
            mean_loss = float(np.mean(per_example_losses(params, x, y_one_hot)))
            print(
                f"step {step:4d}  loss {mean_loss:.4f}  "
                f"train acc {accuracy(params, x, y):.2%}  "
                f"clipped {np.mean(clipped):.0%}"
            )
            clipped = []
    return params


# --- per-example gradients ----------------------------------------------------


def summarize(
    params: Params, x: np.ndarray, y: np.ndarray, grads: Params, top: int
) -> None:
    """Print the spread of the gradient norms and the examples at the top."""
    norms = grad_norms(grads)
    low, median, high = np.quantile(norms, [0.0, 0.5, 1.0])
    print(
        f"per-example gradient norms over {len(x)} training examples: "
        f"min {low:.2e}  median {median:.2e}  max {high:.2e}"
    )

    z = logits(params, x)
    probs = np.exp(z - z.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    print(f"the {top} examples with the largest gradient norm:")
    print(f"  {'index':>5}  {'norm':>8}  label  predicted  p(label)")
    for i in np.argsort(norms)[::-1][:top]:
        predicted = int(np.argmax(z[i]))
        print(
            f"  {i:5d}  {norms[i]:8.3f}  {y[i]:5d}  {predicted:9d}  "
            f"{probs[i, y[i]]:8.3f}"
        )


def timed_per_example_grads(
    params: Params, x: np.ndarray, y_one_hot: np.ndarray, repeats: int = 3
) -> tuple[Params, float]:
    """Every example's gradient, and the best time of `repeats` calls."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        grads = per_example_grads(params, x, y_one_hot)
        best = min(best, time.perf_counter() - start)
    return grads, best


def check_against_loop(
    params: Params,
    x: np.ndarray,
    y_one_hot: np.ndarray,
    grads: Params,
    vmap_seconds: float,
    count: int,
    tol: float,
) -> bool:
    """Compare the batched gradients with `fg.grad` called once per example."""
    grad_fn = fg.grad(example_loss)
    start = time.perf_counter()
    looped = [grad_fn(params, x[i], y_one_hot[i]) for i in range(count)]
    loop_seconds = time.perf_counter() - start

    worst = 0.0
    for name in grads:
        expected = np.stack([g[name] for g in looped])
        scale = max(float(np.max(np.abs(expected))), 1e-300)
        worst = max(
            worst, float(np.max(np.abs(grads[name][:count] - expected))) / scale
        )

    per_example = loop_seconds / count
    print(
        f"vmap: {len(x)} gradients in {vmap_seconds * 1e3:.0f} ms; loop of "
        f"fg.grad: {count} in {loop_seconds * 1e3:.0f} ms "
        f"({per_example * 1e3:.2f} ms each); "
        f"speed-up {per_example * len(x) / vmap_seconds:.0f}x"
    )
    print(f"largest difference from the loop: {worst:.1e} (relative, allowed {tol:g})")
    return worst <= tol


# --- command line -------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="DP-SGD steps")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.5, help="SGD step size")
    parser.add_argument(
        "--clip", type=float, default=1.0, help="per-example gradient norm bound"
    )
    parser.add_argument(
        "--noise",
        type=float,
        default=1.0,
        help="noise standard deviation, in units of --clip",
    )
    parser.add_argument("--hidden", type=int, default=32, help="hidden layer width")
    parser.add_argument("--test-size", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--print-every", type=int, default=50)
    parser.add_argument(
        "--top", type=int, default=5, help="how many largest-norm examples to list"
    )
    parser.add_argument(
        "--check-examples",
        type=int,
        default=100,
        help="how many examples to compare against a loop of `fg.grad`",
    )
    parser.add_argument(
        "--tol",
        type=float,
        default=1e-10,
        help="largest allowed relative difference between vmap and the loop",
    )
    parser.add_argument(
        "--min-accuracy",
        type=float,
        default=0.9,
        help="exit with status 1 if the held-out accuracy ends below this",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)
    x_train, x_test, y_train, y_test = load_data(args.test_size, args.seed)
    params = init_params(x_train.shape[1], args.hidden, rng)
    num_params = sum(leaf.size for leaf in tree_leaves(params))
    print(
        f"digits: {len(x_train)} train, {len(x_test)} test; "
        f"MLP {x_train.shape[1]}-{args.hidden}-{NUM_CLASSES} "
        f"({num_params:,} parameters)"
    )
    print(
        f"DP-SGD: batch {args.batch_size}, clip {args.clip:g}, "
        f"noise {args.noise:g}, lr {args.lr:g}"
    )
    params = train(params, x_train, y_train, args, rng)
    test_acc = accuracy(params, x_test, y_test)
    print(f"held-out accuracy: {test_acc:.1%}")
    print()

    y_one_hot = one_hot(y_train, NUM_CLASSES)
    grads, vmap_seconds = timed_per_example_grads(params, x_train, y_one_hot)
    summarize(params, x_train, y_train, grads, args.top)
    count = min(args.check_examples, len(x_train))
    matches = check_against_loop(
        params, x_train, y_one_hot, grads, vmap_seconds, count, args.tol
    )

    failed = False
    if not matches:
        print(
            f"error: per-example gradients from vmap differ from the loop of "
            f"fg.grad by more than {args.tol:g}",
            file=sys.stderr,
        )
        failed = True
    if test_acc < args.min_accuracy:
        print(
            f"error: held-out accuracy {test_acc:.1%} is below the required "
            f"{args.min_accuracy:.1%}",
            file=sys.stderr,
        )
        failed = True
    if failed:
        return 1
    print(f"per-example gradients match the loop on {count} examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
