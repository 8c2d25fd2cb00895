"""`custom_jvp`, `custom_vjp` and `checkpoint`, re-exported for the public API."""

from funcgrad.primitives._custom_api import checkpoint, custom_jvp, custom_vjp

__all__ = ["checkpoint", "custom_jvp", "custom_vjp"]
