"""The hub shortcuts (programs/hub-common: route index, strong ES model, receive shortcut,
routed UDP sends) change the hub programs' cost, never what they simulate: every count of the
JSON line, per peer included, is the same with --hubShortcuts=0 (ns-3's own walks).

usage: compare_shortcuts.py WG_HUB IPSEC_HUB
"""
import json
import subprocess
import sys

# What may differ: the run's cost and the switch itself.
COST_KEYS = {"setup_wall_s", "wall_s", "wall_per_sim_s", "run_cpu_s", "cpu_per_sim_s",
             "max_rss_kib", "rss_per_peer_kib", "hub_shortcuts"}


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
    return json.loads(lines[-1])


def main():
    wg_hub, ipsec_hub = sys.argv[1:3]
    # Enough peers for ties in event order to matter, a few simulated seconds each.
    common = ["--peers=120", "--duration=4", "--rate=3", "--startSpread=2", "--perPeer"]
    cases = [[wg_hub] + common, [wg_hub, "--segment=11"] + common,
             [ipsec_hub] + common, [ipsec_hub, "--mode=ipsec"] + common]
    failed = False
    for cmd in cases:
        with_shortcuts = run(cmd)
        without = run(cmd + ["--hubShortcuts=0"])
        if not with_shortcuts["hub_shortcuts"] or without["hub_shortcuts"]:
            sys.exit("--hubShortcuts did not switch the shortcuts")
        a = {k: v for k, v in with_shortcuts.items() if k not in COST_KEYS}
        b = {k: v for k, v in without.items() if k not in COST_KEYS}
        differing = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        if differing:
            failed = True
            print(f"{' '.join(cmd[1:])}: differs with and without the shortcuts in {differing}")
        else:
            print(f"{' '.join(cmd[1:])}: same {len(a)} keys, total delivered "
                  f"{a['delivered']['total']}, echoed {a['echoed']['total']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
