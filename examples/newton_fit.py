"""Fit L2-regularised logistic regression by Newton's method with `hessian`.

The loss on scikit-learn's bundled breast cancer data (569 tumours, 30
standardized measurements) is the mean logistic loss plus
`lam / 2 * |w|^2`; the intercept is not penalised. Each Newton step takes
the gradient from `fg.grad` and the 31x31 matrix of second derivatives from
`fg.hessian`, and solves `H d = -g` with `numpy.linalg.solve`. Near the
optimum the gradient norm roughly squares from one step to the next.

    python examples/newton_fit.py
    python examples/newton_fit.py --lam 1e-3

The script exits with status 1 when the final gradient norm is not below
`--gtol`, or when the coefficients or accuracies differ from scikit-learn's
`LogisticRegression` fitted with the same penalty, `C = 1 / (lam * n)`.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import funcgrad as fg
import funcgrad.numpy as fnp

# Newton keeps going until the gradient is this small, well past `--gtol`.
STOP_GTOL = 1e-12


def load_data(
    test_size: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Standardized train and test features, and labels in {0, 1}."""
    data = load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data,
        data.target,
        test_size=test_size,
        random_state=seed,
        stratify=data.target,
    )
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_test), y_train, y_test


def loss(theta: Any, x: Any, y: Any, lam: float) -> Any:
    """Mean logistic loss plus the L2 penalty; `theta` is `(w..., b)`."""
    w, b = theta[:-1], theta[-1]
    margin = (2 * y - 1) * (x @ w + b)

    # log(1 + exp(-m)) is smooth everywhere, so its Hessian is exact even at
    # theta = 0, where every margin is 0. exp(-m) overflows only for a margin
    # below -709, which a regularised fit on standardized data never reaches.
    return fnp.mean(fnp.log1p(fnp.exp(-margin))) + 0.5 * lam * fnp.sum(w**2)


def predict(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    return (x @ theta[:-1] + theta[-1] > 0).astype(int)


def newton(
    theta: np.ndarray, x: np.ndarray, y: np.ndarray, lam: float, steps: int
) -> np.ndarray:
    """Take up to `steps` Newton steps, printing the loss and |grad| of each."""
    grad_fn = fg.value_and_grad(loss)
    hess_fn = fg.hessian(loss)
    print(f"{'step':>4}  {'loss':>18}  {'|grad|':>9}")
    for step in range(steps + 1):
        value, g = grad_fn(theta, x, y, lam)
        grad_norm = float(np.linalg.norm(g))
        print(f"{step:4d}  {float(value):.16f}  {grad_norm:9.2e}")
        if step == steps or grad_norm < STOP_GTOL:
            break
        theta = theta + np.linalg.solve(hess_fn(theta, x, y, lam), -g)
    return theta


def gradient_descent(
    theta: np.ndarray, x: np.ndarray, y: np.ndarray, lam: float, steps: int
) -> np.ndarray:
    """Plain gradient descent with step 1 / L, for contrast.

    The logistic loss curves most at theta = 0 (sigmoid' peaks there), so
    the largest eigenvalue L of the Hessian there bounds it everywhere.
    """
    lipschitz = np.linalg.eigvalsh(fg.hessian(loss)(theta, x, y, lam))[-1]
    grad_fn = fg.grad(loss)
    for _ in range(steps):
        theta = theta - grad_fn(theta, x, y, lam) / lipschitz
    return theta


def compare_with_sklearn(
    theta: np.ndarray,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    lam: float,
) -> tuple[float, bool]:
    """Fit sklearn's `LogisticRegression` to the same objective and print both.

    Returns the largest coefficient difference relative to the largest
    coefficient, and whether the two models predict the same labels.
    """
    # scikit-learn minimises C * sum(logistic loss) + |w|^2 / 2, which is
    # C * n times our loss when C = 1 / (lam * n).
    n = len(x_train)
    reference = LogisticRegression(C=1 / (lam * n), tol=1e-12, max_iter=10_000)
    reference.fit(x_train, y_train)
    theta_ref = np.append(reference.coef_[0], reference.intercept_[0])
    diff = float(np.max(np.abs(theta - theta_ref)) / np.max(np.abs(theta_ref)))

    agree = True
    print(f"{'':22} {'funcgrad':>9} {'sklearn':>9}")
    for name, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        ours = predict(theta, x)
        agree = agree and np.array_equal(ours, reference.predict(x))
        accuracies = np.mean(ours == y), reference.score(x, y)
        print(f"{name + ' accuracy':22} {accuracies[0]:9.2%} {accuracies[1]:9.2%}")
    print(f"{'intercept':22} {theta[-1]:9.5f} {theta_ref[-1]:9.5f}")
    print(f"largest coefficient difference from sklearn: {diff:.1e} (relative)")
    return diff, agree


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lam", type=float, default=1e-2, help="L2 penalty on the weights"
    )
    parser.add_argument("--steps", type=int, default=20, help="most Newton steps")
    parser.add_argument(
        "--gd-steps",
        type=int,
        default=1000,
        help="gradient descent steps shown for contrast (0 to skip)",
    )
    parser.add_argument("--test-size", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--gtol",
        type=float,
        default=1e-8,
        help="exit with status 1 unless the final gradient norm is below this",
    )
    parser.add_argument(
        "--coef-tol",
        type=float,
        default=1e-5,
        help="largest allowed coefficient difference from scikit-learn, "
        "relative to the largest coefficient",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    x_train, x_test, y_train, y_test = load_data(args.test_size, args.seed)
    n, d = x_train.shape
    print(
        f"breast cancer: {n} train, {len(x_test)} test, {d} features; lam {args.lam:g}"
    )

    start = time.perf_counter()
    theta0 = np.zeros(d + 1)
    theta = newton(theta0, x_train, y_train, args.lam, args.steps)
    elapsed = time.perf_counter() - start
    grad_norm = float(np.linalg.norm(fg.grad(loss)(theta, x_train, y_train, args.lam)))
    print(f"Newton: |grad| {grad_norm:.1e} in {elapsed:.2f} s")

    if args.gd_steps:
        start = time.perf_counter()
        theta_gd = gradient_descent(theta0, x_train, y_train, args.lam, args.gd_steps)
        gd_norm = np.linalg.norm(fg.grad(loss)(theta_gd, x_train, y_train, args.lam))
        print(
            f"gradient descent: |grad| {gd_norm:.1e} after {args.gd_steps} steps "
            f"in {time.perf_counter() - start:.2f} s"
        )

    coef_diff, agree = compare_with_sklearn(
        theta, x_train, y_train, x_test, y_test, args.lam
    )
    if grad_norm >= args.gtol or coef_diff > args.coef_tol or not agree:
        print(
            f"error: fit failed: |grad| = {grad_norm:.1e} (allowed {args.gtol:g}), "
            f"coefficients differ from sklearn by {coef_diff:.1e} "
            f"(allowed {args.coef_tol:g}), predictions "
            f"{'agree' if agree else 'differ'}",
            file=sys.stderr,
        )
        return 1
    print("fit ok: Newton's optimum matches sklearn's LogisticRegression")
    return 0


if __name__ == "__main__":
    sys.exit(main())
