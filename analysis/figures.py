"""The figure scripts, in report order. Each module has NAME, TITLE, a docstring and
make(results_set, out_dir) -> [paths]."""

import importlib

FIGURE_MODULES = [
    "fig_goodput_vs_reorder",
    "fig_tcp_fidelity",
    "fig_goodput_timeseries",
    "fig_replay_drops",
    "fig_replay_analytic",
    "fig_cwnd",
    "fig_handshake_timeline",
    "fig_overhead",
]


def load_all() -> list:
    return [importlib.import_module(name) for name in FIGURE_MODULES]
