"""The hub shortcuts (programs/hub-common: route index, strong ES model, receive shortcut,
routed UDP sends) change the hub programs' cost, never what they simulate: every count of the
JSON line, per peer included, is the same with --hubShortcuts=0 (ns-3's own walks).

usage: compare_shortcuts.py WG_HUB IPSEC_HUB
"""
import sys

from hub_runs import differing_counts, run


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
        differing = differing_counts(with_shortcuts, without, ["hub_shortcuts"])
        if differing:
            failed = True
            print(f"{' '.join(cmd[1:])}: differs with and without the shortcuts in {differing}")
        else:
            print(f"{' '.join(cmd[1:])}: same counts, total delivered "
                  f"{with_shortcuts['delivered']['total']}, echoed "
                  f"{with_shortcuts['echoed']['total']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
