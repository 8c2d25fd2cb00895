"""Run the scripts in `examples/` end to end, as a user would."""

from __future__ import annotations

import itertools
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run_example(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    # The scripts import funcgrad from this checkout, installed or not.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), env.get("PYTHONPATH")) if p
    )
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def held_out_accuracy(stdout: str) -> float:
    match = re.search(r"^held-out accuracy: ([\d.]+)%$", stdout, re.MULTILINE)
    assert match, f"no accuracy line in the output:\n{stdout}"
    return float(match.group(1))


def test_mlp_digits_reaches_95_percent():
    pytest.importorskip("sklearn")
    proc = run_example("mlp_digits.py", "--epochs", "15")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert held_out_accuracy(proc.stdout) >= 95.0

    losses = [float(x) for x in re.findall(r"loss ([\d.]+)", proc.stdout)]
    assert len(losses) == 15
    assert losses[-1] < losses[0] / 5


def test_mlp_digits_fails_when_untrained():
    pytest.importorskip("sklearn")
    proc = run_example("mlp_digits.py", "--epochs", "0")
    assert proc.returncode == 1
    assert held_out_accuracy(proc.stdout) < 95.0
    assert "below the required 95.0%" in proc.stderr


def test_mlp_digits_shows_program():
    pytest.importorskip("sklearn")
    proc = run_example(
        "mlp_digits.py", "--show-program", "--epochs", "1", "--min-accuracy", "0"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dot_general" in proc.stdout
    assert "stop_gradient" in proc.stdout
    assert "residuals saved for the backward pass" in proc.stdout


def test_curve_fit_recovers_true_parameters():
    proc = run_example("curve_fit.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "fit ok" in proc.stdout

    fitted = re.findall(r"^\w+ \w\s+([\d.]+)\s+[\d.]+\s+([\d.]+)", proc.stdout, re.M)
    assert len(fitted) == 4
    for true, fit in fitted:
        assert float(fit) == pytest.approx(float(true), abs=0.05)


def test_curve_fit_fails_when_tolerance_is_impossible():
    proc = run_example("curve_fit.py", "--max-sigmas", "0")
    assert proc.returncode == 1
    assert "fit failed" in proc.stderr


def test_per_example_gradients_match_a_loop_of_grad():
    pytest.importorskip("sklearn")
    proc = run_example("per_example_gradients.py", "--check-examples", "50")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "per-example gradients match the loop on 50 examples" in proc.stdout
    assert held_out_accuracy(proc.stdout) >= 90.0

    summary = re.search(r"min (\S+)  median (\S+)  max (\S+)$", proc.stdout, re.M)
    assert summary, proc.stdout
    low, median, high = map(float, summary.groups())
    assert 0 < low <= median <= high

    # The listed examples come in decreasing norm, starting at the maximum.
    top = re.findall(r"^\s+\d+\s+([\d.]+)\s+\d\s+\d\s+[\d.]+$", proc.stdout, re.M)
    norms = [float(n) for n in top]
    assert len(norms) == 5
    assert norms == sorted(norms, reverse=True)
    assert norms[0] == pytest.approx(high, rel=1e-3)


def test_per_example_gradients_fails_when_untrained():
    pytest.importorskip("sklearn")
    proc = run_example("per_example_gradients.py", "--steps", "0")
    assert proc.returncode == 1
    assert "below the required 90.0%" in proc.stderr


def test_newton_fit_converges_quadratically_to_sklearns_optimum():
    pytest.importorskip("sklearn")
    proc = run_example("newton_fit.py", "--gd-steps", "100")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "fit ok" in proc.stdout

    norms = [
        float(g) for g in re.findall(r"^\s*\d+\s+[\d.]+\s+(\S+)$", proc.stdout, re.M)
    ]
    assert norms[-1] < 1e-8
    assert len(norms) <= 15

    # Quadratic convergence: once |grad| is small, the next one is about its
    # square, far smaller than the linear rate of gradient descent would give.
    # Steps landing at rounding level (below 1e-14) say nothing either way.
    pairs = [(a, b) for a, b in itertools.pairwise(norms) if a < 1e-3 and b > 1e-14]
    assert pairs, norms
    for a, b in pairs:
        assert math.log(b) / math.log(a) > 1.5, norms


def test_newton_fit_fails_when_stopped_early():
    pytest.importorskip("sklearn")
    proc = run_example("newton_fit.py", "--steps", "3", "--gd-steps", "0")
    assert proc.returncode == 1
    assert "fit failed" in proc.stderr


def logged_losses(stdout: str) -> list[float]:
    return [float(x) for x in re.findall(r"^step\s+\d+\s+loss ([\d.]+)", stdout, re.M)]


def test_char_rnn_learns_the_text():
    proc = run_example("char_rnn.py", "--steps", "200", "--hidden", "64")
    assert proc.returncode == 0, proc.stdout + proc.stderr

    losses = logged_losses(proc.stdout)
    assert len(losses) == 4
    assert losses[-1] < losses[0] / 1.3

    # The held-out loss beats the character frequencies, which beat chance.
    match = re.search(
        r"^held-out loss ([\d.]+) nats/char \(character frequencies ([\d.]+), "
        r"uniform ([\d.]+)\)$",
        proc.stdout,
        re.M,
    )
    assert match, proc.stdout
    held_out, unigram, uniform = map(float, match.groups())
    assert held_out < unigram < uniform
    assert re.search(r"^sample:\ndef .{20}", proc.stdout, re.M), proc.stdout


def test_char_rnn_fails_when_untrained():
    proc = run_example("char_rnn.py", "--steps", "0", "--sample-length", "10")
    assert proc.returncode == 1
    assert "of the character frequencies alone" in proc.stderr


def test_ode_fit_recovers_the_parameters():
    proc = run_example("ode_fit.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "fit ok" in proc.stdout

    losses = logged_losses(proc.stdout)
    assert len(losses) == 15
    assert losses[-1] < losses[0] / 50

    # The fit ends at least as close to the data as the truth is: it has
    # found the minimum, not stopped on the way.
    truth = re.search(r"^loss at the true parameters ([\d.]+)$", proc.stdout, re.M)
    assert truth, proc.stdout
    assert losses[-1] <= float(truth.group(1))

    rows = re.findall(
        r"^(alpha|beta|gamma|delta)\s+[\d.]+\s+([\d.]+)\s+([\d.]+)", proc.stdout, re.M
    )
    assert len(rows) == 4
    for _, fitted, true in rows:
        assert float(fitted) == pytest.approx(float(true), rel=0.02)


def test_ode_fit_fails_when_not_fitted():
    proc = run_example("ode_fit.py", "--steps", "0")
    assert proc.returncode == 1
    assert "fit failed: alpha is 30.00% from the truth" in proc.stderr


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "name, args",
    [
        ("curve_fit.py", ()),
        ("mlp_digits.py", ("--epochs", "2", "--min-accuracy", "0")),
    ],
)
def test_plot_writes_a_png(name, args, tmp_path):
    pytest.importorskip("matplotlib")
    if name == "mlp_digits.py":
        pytest.importorskip("sklearn")
    path = tmp_path / "plot.png"
    plain = run_example(name, *args)
    proc = run_example(name, *args, "--plot", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert path.stat().st_size < 100_000
    # The printed report is the same with or without the plot (but times).
    strip = re.compile(r"in [\d.]+ s")
    assert strip.sub("", proc.stdout) == strip.sub("", plain.stdout)
