"""The hub's shared IKE socket (SharedIkeSocket, on unless --sharedIkeSocket=0) changes how many
UDP sockets the hub has for IKE (1 instead of one per spoke) and the cost of a run, never what
is simulated: every count of the JSON line, per peer included, is the same with one socket per
hub gateway, in both modes.

usage: compare_shared_ike_socket.py IPSEC_HUB
"""
import sys

from hub_runs import differing_counts, run

PEERS = 120


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
        differing = differing_counts(shared, separate, ["shared_ike_socket", "hub_ike_sockets"])
        if differing:
            failed = True
            print(f"{' '.join(cmd[1:])}: differs with one and with {PEERS} IKE sockets in "
                  f"{differing}")
        else:
            print(f"{' '.join(cmd[1:])}: same counts with 1 and {PEERS} IKE sockets, "
                  f"total delivered {shared['delivered']['total']}, echoed "
                  f"{shared['echoed']['total']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
