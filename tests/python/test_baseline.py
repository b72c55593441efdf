"""The baseline simulation runs end to end and its goodput is what the path can carry."""
import json
import subprocess
import sys

from conftest import REPO


def baseline(build_dir):
    """The plain ns-3 example program (scenarios/examples/baseline.cc)."""
    return str(build_dir / "scenarios" / "examples" / "tunnelsim-baseline")


def test_baseline_goodput_is_close_to_the_bottleneck(build_dir, tmp_path):
    out = tmp_path / "results.json"
    subprocess.run([baseline(build_dir), "--duration=5",
                    f"--out={out}"], check=True, capture_output=True)
    result = json.loads(out.read_text())
    goodput = result["flows"][0]["goodput_mbps"]
    # Bottleneck 100 Mbit/s; TCP payload 1448 of every 1502 bytes on the wire (PPP 2 + IP 20
    # + TCP 32 with timestamps). Slow start over a 5 s run costs some of it.
    limit = 100.0 * 1448 / 1502
    assert 0.85 * limit < goodput <= limit


def test_baseline_is_deterministic(build_dir, tmp_path):
    outputs = []
    for name in ("a.json", "b.json"):
        out = tmp_path / name
        subprocess.run([baseline(build_dir), "--duration=2",
                        "--seed=3", f"--out={out}"], check=True, capture_output=True)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_bad_option_is_a_clear_error(build_dir, tmp_path):
    proc = subprocess.run([baseline(build_dir), "--duration=0",
                           f"--out={tmp_path / 'r.json'}"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "--duration" in proc.stderr
    assert not (tmp_path / "r.json").exists()


def test_summary_writes_table_and_figure(build_dir, tmp_path):
    run = tmp_path / "runs"
    run.mkdir()
    subprocess.run([baseline(build_dir), "--duration=2",
                    f"--out={run / 'seed-1.json'}"], check=True, capture_output=True)
    subprocess.run([sys.executable, str(REPO / "analysis" / "baseline_summary.py"), str(run),
                    str(tmp_path / "s.csv"), str(tmp_path / "g.png")], check=True)
    assert (tmp_path / "s.csv").read_text().startswith("seed,goodput_mbps")
    assert (tmp_path / "g.png").stat().st_size > 1000


def test_baseline_path_defaults_are_the_engines(build_dir, tmp_path):
    """The plain ns-3 reference runs the engine's default path (scripts/bench compares them)."""
    out = tmp_path / "results.json"
    subprocess.run([baseline(build_dir), "--duration=1.1", f"--out={out}"], check=True,
                   capture_output=True)
    path = json.loads(out.read_text())["path"]
    scenario = tmp_path / "defaults.toml"
    scenario.write_text('name = "defaults"\n')
    printed = subprocess.run([str(build_dir / "scenarios" / "cli" / "tunnelsim"), "validate",
                              str(scenario), "--print"], check=True, capture_output=True,
                             text=True).stdout
    topology = json.loads(printed[printed.index("{"):])["topology"]
    assert path == {key: topology[key] for key in path}
    assert set(path) == {"lan_rate", "access_down_rate", "access_up_rate", "access_delay",
                         "wan_rate", "wan_delay"}
