"""The demo library: plain Python + PyTorch, no Django anywhere.

Each demo is a `DemoSpec` (bounded parameters, defaults, bilingual text) whose `run` is its `Steps`:
measure → summary → conclude → drawings (engine/demos/__init__.py). `engine.execute` is the one way
in: it validates the raw parameters, seeds every RNG, picks the device, times the call and reports
progress up to DONE.
"""

from engine.registry import all_demos, get_demo
from engine.runtime import ENGINE_VERSION, execute
from engine.spec import DemoSpec, ParamError

__all__ = ["ENGINE_VERSION", "DemoSpec", "ParamError", "all_demos", "execute", "get_demo"]
