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

>>> import funcgrad
>>> funcgrad.config.update("disable_numba", True)
>>> funcgrad.config.disable_numba
True
>>> funcgrad.config.update("disable_numba", False)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from funcgrad.errors import FuncgradValueError


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


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

    def update(self, name: str, value: Any) -> None:
        if name not in vars(self):
            known = ", ".join(sorted(vars(self)))
            raise FuncgradValueError(
                f"`funcgrad.config` has no setting `{name}`; the settings are {known}."
            )
        setattr(self, name, type(getattr(self, name))(value))


config = Config()
