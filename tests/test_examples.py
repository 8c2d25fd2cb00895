"""Run the scripts in `examples/` end to end, as a user would."""

from __future__ import annotations

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
