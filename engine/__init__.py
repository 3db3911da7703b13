"""The demo library: plain Python + PyTorch, no Django anywhere.

Each demo is a `DemoSpec` (bounded parameters, defaults, bilingual text) plus a function
`run(params, progress) -> Result`. `engine.execute` is the one way in: it validates the raw
parameters, seeds every RNG, picks the device and times the call.
"""

from engine.registry import all_demos, get_demo
from engine.runtime import ENGINE_VERSION, execute
from engine.spec import DemoSpec, ParamError

__all__ = ["ENGINE_VERSION", "DemoSpec", "ParamError", "all_demos", "execute", "get_demo"]
