"""Fit a damped sine wave to noisy data with Levenberg-Marquardt.

The model is `y = a * exp(-b t) * sin(w t + p)`. Levenberg-Marquardt needs
the Jacobian of the residuals with respect to the four parameters; here each
column is one forward-mode product, `fg.jvp(residuals, (theta,), (e_i,))`,
so no derivative is written by hand. At the end `fg.grad` (reverse mode)
checks that the fit is a stationary point of the squared error.

    python examples/curve_fit.py
    python examples/curve_fit.py --plot fit.png  # save the data and the fit

The data are synthetic, drawn with known parameters and a fixed seed. The
script prints fitted against true values and exits with status 1 when a
fitted value lies more than `--max-sigmas` standard errors from the truth.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from typing import Any

import numpy as np

import funcgrad as fg
import funcgrad.numpy as fnp

NAMES = ("amplitude a", "decay b", "frequency w", "phase p")
TRUE_THETA = np.array([2.0, 0.3, 2.5, 0.5])
INITIAL_THETA = np.array([1.0, 0.1, 2.2, 0.0])


def model(theta: Any, t: Any) -> Any:
    a, b, w, p = theta[0], theta[1], theta[2], theta[3]
    return a * fnp.exp(-b * t) * fnp.sin(w * t + p)


def residuals(theta: Any, t: Any, y: Any) -> Any:
    return model(theta, t) - y


def squared_error(theta: Any, t: Any, y: Any) -> Any:
    return 0.5 * fnp.sum(residuals(theta, t, y) ** 2)


def jacobian(theta: np.ndarray, t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The residuals' Jacobian, one forward-mode column per parameter."""

    def r(th: Any) -> Any:
        return residuals(th, t, y)

    basis = np.eye(len(theta))
    return np.stack([fg.jvp(r, (theta,), (e,))[1] for e in basis], axis=1)


def levenberg_marquardt(
    theta: np.ndarray,
    t: np.ndarray,
    y: np.ndarray,
    steps: int,
    damping: float = 1e-2,
    gtol: float = 1e-10,
) -> np.ndarray:
    """Minimize `squared_error` from `theta`, adapting the damping each step.

    A step solves `(J^T J + damping * diag(J^T J)) delta = -J^T r`; it is
    kept (and the damping lowered) only if it reduces the error. The loop
    stops once the gradient `J^T r` is below `gtol`.
    """
    error = float(squared_error(theta, t, y))
    for _ in range(steps):
        jac = jacobian(theta, t, y)
        jtj, jtr = jac.T @ jac, jac.T @ residuals(theta, t, y)
        if np.linalg.norm(jtr) < gtol:
            break
        delta = np.linalg.solve(jtj + damping * np.diag(np.diag(jtj)), -jtr)

        new_error = float(squared_error(theta + delta, t, y))
        if new_error < error:
            theta, error, damping = theta + delta, new_error, damping / 3
        else:
            damping *= 4
    return theta


def make_data(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 10.0, n)
    y = model(TRUE_THETA, t) + noise * rng.normal(size=n)
    return t, y


def save_plot(path: str, t: np.ndarray, y: np.ndarray, theta: np.ndarray) -> None:
    """The samples, the true curve and the fitted one, as an image at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fine = np.linspace(t[0], t[-1], 1000)
    fig, ax = plt.subplots(figsize=(7, 2.8), layout="constrained")
    ax.plot(t, y, ".", color="#888888", markersize=4, label="noisy samples")
    ax.plot(fine, model(INITIAL_THETA, fine), ":", color="#3b6ea5", label="start")
    ax.plot(fine, model(TRUE_THETA, fine), color="#222222", lw=1, label="truth")
    ax.plot(fine, model(theta, fine), "--", color="#c4661f", lw=1.5, label="fitted")
    ax.set(
        xlabel="t", ylabel="y", title="a exp(-b t) sin(w t + p), Levenberg-Marquardt"
    )
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--noise", type=float, default=0.05)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-sigmas",
        type=float,
        default=4.0,
        help="fail if a fitted value is further than this many standard errors",
    )
    parser.add_argument(
        "--plot",
        metavar="PATH",
        help="save the data, the truth and the fit to PATH (needs matplotlib)",
    )
    args = parser.parse_args(argv)
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        parser.error("--plot needs matplotlib: pip install matplotlib")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t, y = make_data(args.points, args.noise, args.seed)
    theta = levenberg_marquardt(INITIAL_THETA, t, y, args.steps)
    if args.plot:
        save_plot(args.plot, t, y, theta)

    # Standard errors from the Gauss-Newton covariance sigma^2 (J^T J)^-1,
    # with sigma^2 estimated from the residuals.
    jac = jacobian(theta, t, y)
    dof = len(t) - len(theta)
    sigma2 = 2 * float(squared_error(theta, t, y)) / dof
    stderr = np.sqrt(np.diag(sigma2 * np.linalg.inv(jac.T @ jac)))
    grad_norm = float(np.linalg.norm(fg.grad(squared_error)(theta, t, y)))

    print(f"{'parameter':<12} {'true':>7} {'initial':>8} {'fitted':>9}  std err")
    for name, true, init, fit, se in zip(
        NAMES, TRUE_THETA, INITIAL_THETA, theta, stderr
    ):
        print(f"{name:<12} {true:7.3f} {init:8.3f} {fit:9.4f}  {se:.4f}")
    print(f"noise {np.sqrt(sigma2):.4f} (true {args.noise}), |grad| {grad_norm:.1e}")

    sigmas = np.abs(theta - TRUE_THETA) / stderr
    if grad_norm > 1e-6 or np.any(sigmas > args.max_sigmas):
        print(
            f"error: fit failed: |grad| = {grad_norm:.1e}, worst parameter "
            f"{sigmas.max():.1f} standard errors from the truth "
            f"(allowed {args.max_sigmas})",
            file=sys.stderr,
        )
        return 1
    print(f"fit ok: every parameter within {args.max_sigmas:g} standard errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
