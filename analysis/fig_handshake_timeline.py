"""Handshake and rekey timeline: one row per run (and gateway), a mark per event.

Events come from results.json's tunnel.events, a list of {"time_s", "kind", "side"} (kind:
handshake_initiation, handshake_response, handshake_complete, rekey, ...). Runs that record
no events but count handshakes/rekeys are shown as counts instead.
"""

import sys

import plotlib

NAME = "handshake_timeline"
TITLE = "Handshakes and rekeys"

KIND_STYLE = {"handshake_initiation": ("|", "#2166ac"), "handshake_response": ("|", "#92c5de"),
              "handshake_complete": ("o", "#1b7837"), "rekey": ("D", "#b2182b"),
              "handshake_failed": ("x", "#000000"), "ike_sa_established": ("o", "#1b7837"),
              "child_sa_rekey": ("D", "#b2182b")}


def _events(run) -> list:
    events = run.results.get("tunnel", {}).get("events") or run.results.get("events") or []
    return [e for e in events if isinstance(e, dict) and "time_s" in e and "kind" in e]


def make(rs, out_dir) -> list:
    runs = [r for r in rs.runs if r.results.get("tunnel", {}).get("type", "none") != "none"]
    with_events = [r for r in runs if _events(r)]
    if with_events:
        shown = [r for r in plotlib.representative_runs(rs) if _events(r)] or with_events[:6]
        sides = {e.get("side", "") for r in shown for e in _events(r)}
        fig, ax = plotlib.plt.subplots(
            figsize=(7.0, 1.2 + 0.35 * max(2, len(shown) * max(1, len(sides)))))
        rows, seen = [], set()
        for run in shown:
            for event in _events(run):
                row = f"{plotlib.run_label(run)} {event.get('side', '')}".strip()
                if row not in rows:
                    rows.append(row)
                marker, colour = KIND_STYLE.get(event["kind"], ("s", "#666666"))
                label = event["kind"] if event["kind"] not in seen else None
                seen.add(event["kind"])
                ax.scatter(event["time_s"], rows.index(row), marker=marker, color=colour,
                           label=label, s=40, zorder=3)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(rows)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xlabel("time (s)")
        ax.set_title(TITLE + " over time")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, frameon=False)
        return plotlib.save(fig, out_dir, NAME)
    counted = [r for r in runs if "handshakes" in r.results.get("tunnel", {}).get("counters", {})]
    if not counted:
        return []
    fig, ax = plotlib.plt.subplots()
    labels = [plotlib.run_label(r) for r in counted[:12]]
    hs = [r.results["tunnel"]["counters"].get("handshakes", 0) for r in counted[:12]]
    rk = [r.results["tunnel"]["counters"].get("rekeys", 0) for r in counted[:12]]
    y = range(len(labels))
    ax.barh([v - 0.2 for v in y], hs, height=0.4, label="handshakes", color="#1b7837")
    ax.barh([v + 0.2 for v in y], rk, height=0.4, label="rekeys", color="#b2182b")
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels)
    ax.set_xlabel("count over the run")
    ax.set_title(TITLE + " (counts: no event times recorded)")
    ax.legend()
    return plotlib.save(fig, out_dir, NAME)


if __name__ == "__main__":
    sys.exit(plotlib.figure_main(make))
