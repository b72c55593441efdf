"""The command line as CLI11 parses it (scenarios/cli/main.cc): per-command help, option forms,
parse errors with exit code 2, and hand-over commands receiving every trailing argument,
options and --help included, unparsed."""
import subprocess


def run(tunnelsim, *args):
    return subprocess.run([tunnelsim, *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_each_scenario_command_has_its_own_help(tunnelsim):
    for command, option in (("run", "--out"), ("validate", "--print"),
                            ("emulate", "--no-limits")):
        proc = run(tunnelsim, command, "--help")
        assert proc.returncode == 0, proc.stderr
        assert f"tunnelsim {command}" in proc.stdout and option in proc.stdout
        assert "--set" in proc.stdout


def test_parse_errors_exit_2_with_the_usage(tunnelsim):
    for args in (("run", "loss-sweep", "--set"), ("run", "loss-sweep", "--out"),
                 ("validate", "--print", "--bogus", "loss-sweep"), ("keys", "extra"),
                 ("list", "extra"), ("run", "a", "b")):
        proc = run(tunnelsim, *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "usage: tunnelsim run SCENARIO" in proc.stderr, args
    assert "--set" in run(tunnelsim, "run", "loss-sweep", "--set").stderr


def test_options_in_any_order_and_both_forms(tunnelsim):
    proc = run(tunnelsim, "validate", "--set=seed=4", "--print", "loss-sweep", "--set",
               "duration=3s")
    assert proc.returncode == 0, proc.stderr
    assert '"seed": 4' in proc.stdout and '"duration": "3s"' in proc.stdout


def test_hand_over_commands_get_every_trailing_argument(tunnelsim):
    # Python's compare parses its own flags: an unknown one is its error, not tunnelsim's.
    proc = run(tunnelsim, "compare", "--no-such-flag", "a", "b")
    assert proc.returncode == 2
    assert "unrecognized arguments: --no-such-flag" in proc.stderr
    assert "usage: tunnelsim run SCENARIO" not in proc.stderr
    proc = run(tunnelsim, "diagnose", "--help")
    assert proc.returncode == 0 and proc.stdout.startswith("usage: tunnelsim diagnose")
