"""The hub's shared IKE socket (SharedIkeSocket, on unless --sharedIkeSocket=0) changes how many
UDP sockets the hub has for IKE (1 instead of one per spoke) and the cost of a run, never what
is simulated: every count of the JSON line, per peer included, is the same with one socket per
hub gateway, in both modes.

usage: compare_shared_ike_socket.py IPSEC_HUB
"""
import json
import subprocess
import sys

# What may differ: the run's cost, the switch itself and the socket count it changes.
COST_KEYS = {"setup_wall_s", "wall_s", "wall_per_sim_s", "run_cpu_s", "cpu_per_sim_s",
             "max_rss_kib", "rss_per_peer_kib", "shared_ike_socket", "hub_ike_sockets"}
PEERS = 120


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
    return json.loads(lines[-1])


def main():
    ipsec_hub = sys.argv[1]
    # Enough spokes starting close together for IKE messages of different spokes to interleave.
    common = [f"--peers={PEERS}", "--duration=4", "--rate=3", "--startSpread=2", "--perPeer"]
    failed = False
    for cmd in ([ipsec_hub] + common, [ipsec_hub, "--mode=ipsec"] + common):
        shared = run(cmd)
        separate = run(cmd + ["--sharedIkeSocket=0"])
        if shared["hub_ike_sockets"] != 1 or separate["hub_ike_sockets"] != PEERS:
            sys.exit(f"hub IKE sockets: {shared['hub_ike_sockets']} shared (expected 1), "
                     f"{separate['hub_ike_sockets']} separate (expected {PEERS})")
        a = {k: v for k, v in shared.items() if k not in COST_KEYS}
        b = {k: v for k, v in separate.items() if k not in COST_KEYS}
        differing = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        if differing:
            failed = True
            print(f"{' '.join(cmd[1:])}: differs with one and with {PEERS} IKE sockets in "
                  f"{differing}")
        else:
            print(f"{' '.join(cmd[1:])}: same {len(a)} keys with 1 and {PEERS} IKE sockets, "
                  f"total delivered {a['delivered']['total']}, echoed {a['echoed']['total']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
