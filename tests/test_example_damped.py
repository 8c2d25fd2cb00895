"""Run `examples/damped_fit.py` end to end, as a user would (the style of
`test_examples.py`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_damped_fit(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), env.get("PYTHONPATH")) if p
    )
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / "damped_fit.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def fitted_parameters(stdout: str) -> dict[str, tuple[float, float]]:
    rows = re.findall(r"^(\w+)\s+([\d.]+)\s+[\d.]+\s+([\d.]+)$", stdout, re.M)
    return {name: (float(true), float(fit)) for name, true, fit in rows}


def test_damped_fit_recovers_the_oscillation():
    proc = run_damped_fit()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "fit ok" in proc.stdout

    fitted = fitted_parameters(proc.stdout)
    assert set(fitted) == {"amplitude", "frequency", "damping"}
    for true, fit in fitted.values():
        assert fit == pytest.approx(true, rel=0.08)
    losses = [float(x) for x in re.findall(r"loss ([\d.]+)", proc.stdout)]
    assert losses[-1] < losses[0]


def test_damped_fit_fails_without_steps():
    proc = run_damped_fit("--steps", "0")
    assert proc.returncode == 1
    assert "fit failed" in proc.stderr
