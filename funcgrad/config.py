"""funcgrad's settings, read once from the environment and changeable with
`funcgrad.config.update(name, value)`.

| setting | environment variable | default | meaning |
| --- | --- | --- | --- |
| `disable_numba` | `FUNCGRAD_DISABLE_NUMBA` | off | `jit` runs the reference path (primitive implementations) instead of compiled kernels |
| `cache_dir` | `FUNCGRAD_CACHE_DIR` | `$XDG_CACHE_HOME/funcgrad` or `~/.cache/funcgrad` | where compiled kernels are kept between processes |
| `min_fusion_size` | `FUNCGRAD_MIN_FUSION_SIZE` | 2 | the fewest elementwise equations worth one fused kernel |
| `whole_program_max_size` | `FUNCGRAD_WHOLE_PROGRAM_MAX_SIZE` | 131072 | programs whose values hold at most this many elements in all compile into one numba function (0 turns this off) |
| `fuse_transcendental` | `FUNCGRAD_FUSE_TRANSCENDENTAL` | off | fuse `log`, `log1p`, `tan` and `pow` (scalar C library calls in numba without SVML) into kernels of large programs; numpy's vectorized versions are faster there. `exp`, `tanh`, `sin`... are always fused: their lowerings vectorize |
| `parallel_min_size` | `FUNCGRAD_PARALLEL_MIN_SIZE` | 262144 | the fewest elements for which a fused elementwise kernel runs its outer loop on all cores (numba's `prange`) |
| `traceback_filtering` | `FUNCGRAD_TRACEBACK_FILTERING` | `"on"` | `"on"`: an error leaving a transform (`grad`, `jit`, `vmap`, `lax.scan`...) shows the user's frames and hides funcgrad's own; `"off"`: the full traceback (docs/debugging.md) |
| `log_compiles` | `FUNCGRAD_LOG_COMPILES` | off | log each `jit` trace and compile at WARNING instead of INFO, so they show on stderr with no logging set up (docs/debugging.md) |
| `debug_nans` | `FUNCGRAD_DEBUG_NANS` | off | every operation run eagerly, forward and backward, checks its results, and a `jit` program its outputs (then re-runs op by op to find the culprit); the first NaN raises `FuncgradNaNError` naming the primitive, the pass and the user's line (docs/debugging.md) |
| `debug_infs` | `FUNCGRAD_DEBUG_INFS` | off | the same for infinities |
| `retrace_warning_threshold` | `FUNCGRAD_RETRACE_WARNING_THRESHOLD` | 10 | a `RetraceWarning` when one `jit` function has been traced more times than this (0 turns it off) |

>>> import funcgrad
>>> funcgrad.config.update("disable_numba", True)
>>> funcgrad.config.disable_numba
True
>>> funcgrad.config.update("disable_numba", False)
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from funcgrad.errors import FuncgradValueError


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _filtering(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    choice = str(value).strip().lower()
    if choice not in ("on", "off"):
        raise FuncgradValueError(f'{where} takes "on" or "off", got {value!r}.')
    return choice


def _default_cache_dir() -> str:
    explicit = os.environ.get("FUNCGRAD_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "funcgrad")


class Config:
    """The settings; read them as attributes, change them with `update`."""

    def __init__(self) -> None:
        self.disable_numba: bool = _flag("FUNCGRAD_DISABLE_NUMBA")
        self.cache_dir: str = _default_cache_dir()
        self.min_fusion_size: int = int(os.environ.get("FUNCGRAD_MIN_FUSION_SIZE", "2"))
        self.fuse_transcendental: bool = _flag("FUNCGRAD_FUSE_TRANSCENDENTAL")
        self.whole_program_max_size: int = int(
            os.environ.get("FUNCGRAD_WHOLE_PROGRAM_MAX_SIZE", str(1 << 17))
        )
        # Below this size a parallel loop's thread start-up costs more than
        # it saves (benchmarks/README.md, W3).
        self.parallel_min_size: int = int(
            os.environ.get("FUNCGRAD_PARALLEL_MIN_SIZE", str(1 << 18))
        )
        self.traceback_filtering: str = _filtering(
            os.environ.get("FUNCGRAD_TRACEBACK_FILTERING", "on"),
            "FUNCGRAD_TRACEBACK_FILTERING",
        )
        self.log_compiles: bool = _flag("FUNCGRAD_LOG_COMPILES")
        self.debug_nans: bool = _flag("FUNCGRAD_DEBUG_NANS")
        self.debug_infs: bool = _flag("FUNCGRAD_DEBUG_INFS")
        self.retrace_warning_threshold: int = int(
            os.environ.get("FUNCGRAD_RETRACE_WARNING_THRESHOLD", "10")
        )

    def update(self, name: str, value: Any) -> None:
        if name not in vars(self):
            known = ", ".join(sorted(vars(self)))
            raise FuncgradValueError(
                f"`funcgrad.config` has no setting `{name}`; the settings are {known}."
            )
        if name == "traceback_filtering":
            value = _filtering(value, "`funcgrad.config.traceback_filtering`")
        setattr(self, name, type(getattr(self, name))(value))

    def compile_log_level(self) -> int:
        """The level of the trace and compile log records: WARNING with
        `log_compiles`, so that Python's last-resort handler prints them
        when no logging is configured, INFO otherwise."""
        return logging.WARNING if self.log_compiles else logging.INFO


config = Config()
