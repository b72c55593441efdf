"""tunnelsim from Python: run scenarios, sweep them, and script the protocol building blocks.

    import tunnelsim
    result = tunnelsim.run("reorder-collapse", overrides={"duration": "5s"})
    result.results["flows"][0]["goodput_mbps"], result.timeseries.head()

    table = tunnelsim.sweep("study.toml", out_dir="out/study")

    from tunnelsim import wireguard, ipsec   # pybind11-bound sans-IO cores

Submodules that need the compiled extension (wireguard, ipsec, impairment) are imported on
first use, so run/sweep/report work even where only the pure-Python part is present.
"""

import importlib

from .run import RunResult, ScenarioRunError, run
from .sweep import SweepSpec, sweep
from .compare import compare  # noqa: E402  the function, not the module

__all__ = ["run", "RunResult", "ScenarioRunError", "sweep", "SweepSpec", "compare",
           "wireguard", "ipsec", "impairment", "analytic", "report"]

_LAZY = {"wireguard", "ipsec", "impairment", "analytic", "report", "results"}


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'tunnelsim' has no attribute '{name}'")
