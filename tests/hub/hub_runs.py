"""Running a hub program (tunnelsim-wg-hub, tunnelsim-ipsec-hub) and comparing what two runs
simulated: the checks that a switch changes a run's cost, never its counts."""
import json
import subprocess
import sys

# What may differ between two runs of the same simulation: what it cost.
COST_KEYS = {"setup_wall_s", "wall_s", "wall_per_sim_s", "run_cpu_s", "cpu_per_sim_s",
             "max_rss_kib", "rss_per_peer_kib"}


def run(cmd) -> dict:
    """The JSON line of one hub run; exits the script when the run fails."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
    return json.loads(lines[-1])


def differing_counts(a: dict, b: dict, switch_keys) -> list:
    """The keys, other than cost and the switch's own `switch_keys`, whose values differ."""
    ignored = COST_KEYS | set(switch_keys)
    keys = (a.keys() | b.keys()) - ignored
    return sorted(k for k in keys if a.get(k) != b.get(k))
