"""Handshake and rekey timeline: one row per run (and gateway), a mark per event.

Events come from results.json's tunnel.events, a list of {"time_s", "kind", "side"} (kind:
handshake_initiation, handshake_response, handshake_complete, rekey, ...). Runs that record
no events but count handshakes/rekeys are shown as counts instead.
"""

import sys

import plotlib

NAME = "handshake_timeline"
TITLE = "Handshakes and rekeys"

_C = plotlib.style.OKABE_ITO
KIND_STYLE = {"handshake_initiation": ("|", _C["blue"]),
              "handshake_response": ("|", _C["sky_blue"]),
              "handshake_complete": ("o", _C["bluish_green"]), "rekey": ("D", _C["vermillion"]),
              "handshake_failed": ("x", _C["black"]),
              "ike_sa_established": ("o", _C["bluish_green"]),
              "child_sa_rekey": ("D", _C["vermillion"]),
              "child_sa_created": ("s", _C["reddish_purple"]),
              "sa_installed_inbound": ("<", _C["orange"]),
              "sa_installed_outbound": (">", _C["yellow"])}


def _row_label(run, side: str) -> str:
    """Short row names: the tunnel (and window), the gateway side; the reorder level and seed
    only when several runs of one tunnel are shown."""
    tunnel = run.scenario(plotlib.TUNNEL_KEY)
    name = plotlib.TUNNEL_NAMES.get(str(tunnel), str(tunnel))
    if tunnel in ("gre-over-ipsec", "ipsec"):
        name += f" w={run.scenario(plotlib.WINDOW_KEY)}"
    return f"{name}, {side}" if side else name


def _events(run) -> list:
    events = run.results.get("tunnel", {}).get("events") or run.results.get("events") or []
    return [e for e in events if isinstance(e, dict) and "time_s" in e and "kind" in e]


def make(rs, out_dir) -> list:
    runs = [r for r in rs.runs if r.results.get("tunnel", {}).get("type", "none") != "none"]
    with_events = [r for r in runs if _events(r)]
    if with_events:
        shown = [r for r in plotlib.representative_runs(rs) if _events(r)] or with_events[:6]
        sides = {e.get("side", "") for r in shown for e in _events(r)}
        rows_shown = max(2, len(shown) * max(1, len(sides)))
        fig, ax = plotlib.plt.subplots(
            figsize=(plotlib.figsize()[0], 0.8 + 0.22 * rows_shown))
        rows, seen = [], set()
        for run in shown:
            for event in _events(run):
                row = _row_label(run, event.get("side", ""))
                if sum(1 for r in shown if _row_label(r, "") == _row_label(run, "")) > 1:
                    row += f" (seed {run.scenario('seed')})"
                if row not in rows:
                    rows.append(row)
                marker, colour = KIND_STYLE.get(event["kind"], ("s", plotlib.style.GREY))
                label = event["kind"] if event["kind"] not in seen else None
                seen.add(event["kind"])
                ax.scatter(event["time_s"], rows.index(row), marker=marker, color=colour,
                           label=label, s=40, zorder=3)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(rows)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xlabel("time (s)")
        plotlib.suptitle(fig, TITLE + " over time")
        plotlib.legend(ax)
        return plotlib.save(fig, out_dir, NAME)
    counted = [r for r in runs if "handshakes" in r.results.get("tunnel", {}).get("counters", {})]
    if not counted:
        return []
    fig, ax = plotlib.plt.subplots(figsize=plotlib.figsize(aspect=0.8))
    labels = [plotlib.run_label(r) for r in counted[:12]]
    hs = [r.results["tunnel"]["counters"].get("handshakes", 0) for r in counted[:12]]
    rk = [r.results["tunnel"]["counters"].get("rekeys", 0) for r in counted[:12]]
    y = range(len(labels))
    ax.barh([v - 0.2 for v in y], hs, height=0.4, label="handshakes", color=_C["bluish_green"])
    ax.barh([v + 0.2 for v in y], rk, height=0.4, label="rekeys", color=_C["vermillion"])
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels)
    ax.set_xlabel("events over the run (count)")
    plotlib.title(ax, TITLE + " (counts: no event times recorded)")
    plotlib.legend(ax)
    return plotlib.save(fig, out_dir, NAME)


if __name__ == "__main__":
    sys.exit(plotlib.figure_main(make))
