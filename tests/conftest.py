"""Shared pytest configuration for funcgrad's tests.

Hypothesis profiles: "ci" (the default) is derandomized and small, so runs
are repeatable and quick; "dev" explores more, selected with
`pytest --hypothesis-profile=dev`.
"""

from hypothesis import settings

settings.register_profile(
    "ci", derandomize=True, max_examples=15, deadline=None, print_blob=True
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile("ci")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Report how many numba kernels the run compiled, for the CI budget."""
    from funcgrad.backend import stats

    terminalreporter.write_line(
        f"funcgrad backend: {stats.kernels} fused kernels, {stats.signatures} "
        f"compiled signatures, {stats.seconds:.1f} s in first calls"
    )
