"""Teacher backends behind one interface; see base.py."""

from pipeline.generators.base import (
    Chat,
    Completion,
    Generator,
    GeneratorError,
    RequestRefused,
    available,
    create,
    cut_at_stop,
    lookup,
    register,
)

__all__ = [
    "Chat",
    "Completion",
    "Generator",
    "GeneratorError",
    "RequestRefused",
    "available",
    "create",
    "cut_at_stop",
    "lookup",
    "register",
]
