"""docs/coverage.md is generated from the registries; it must be current."""

from __future__ import annotations

import coverage_table


def test_coverage_table_is_current() -> None:
    text = coverage_table.table()
    assert coverage_table.OUT.read_text() == text, (
        "docs/coverage.md is out of date: run `python tests/coverage_table.py`"
    )
    # every row is a public function and says something in every column
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) >= 80
    assert all(line.count("|") == 7 for line in rows)


def test_the_table_reports_a_missing_rule() -> None:
    """A primitive without a jvp rule shows as "no (name)", not "yes"."""
    import numpy as np

    from funcgrad.primitives import _elementwise as ew
    from funcgrad.transforms import jvp_rules

    class Sin:
        label, dtypes, name = "sin-probe", (np.float64,), "sin"

        @staticmethod
        def args(dtype):
            return (np.linspace(0.1, 1.0, 3).astype(dtype),)

        @staticmethod
        def fn(xp, x):
            return xp.sin(x)

    rule = jvp_rules.pop(ew.sin_p)
    try:
        row = coverage_table.row("sin", Sin)
    finally:
        jvp_rules[ew.sin_p] = rule
    assert row[2] == "no (sin)" and row[3] == "no (sin)"
    assert row[4] == "yes" and row[5] == "fused"


def test_every_public_function_of_every_namespace_has_its_rules() -> None:
    """The table's rows come from each namespace's public names; none may
    lack a jvp, transpose or batching rule ("no (...)" in a column)."""
    text = coverage_table.OUT.read_text()
    missing = [line for line in text.splitlines() if "| no (" in line]
    assert not missing, (
        "functions without a derivative or batching rule:\n" + "\n".join(missing)
    )


def test_every_public_function_of_the_other_namespaces_is_tested() -> None:
    """Each public name of funcgrad.numpy.linalg, funcgrad.scipy.linalg,
    funcgrad.scipy.special and funcgrad.nn is called in its test module."""
    import re
    from pathlib import Path

    here = Path(__file__).parent
    sources = {
        "funcgrad.numpy.linalg": "test_linalg.py",
        "funcgrad.scipy.linalg": "test_linalg.py",
        "funcgrad.scipy.special": "test_special.py",
        "funcgrad.nn": "test_special.py",
    }
    untested = []
    for namespace, probes in coverage_table._namespace_probes().items():
        source = (here / sources[namespace]).read_text()
        untested += [
            f"{namespace}.{name}"
            for name, _ in probes
            if not re.search(rf"\.{name}\b|\"{name}\"", source)
        ]
    assert not untested, "public functions no test calls: " + ", ".join(untested)
