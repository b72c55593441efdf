"""results.json's provenance object, and the input checks that keep a run from being wasted or
silently wrong (issue #21, parts 1 and 7)."""
import json
import re
import subprocess
import time

from test_cli import run, write

SHORT = ["--set", "duration=1s"]
SCENARIO = 'name = "p"\nduration = "1s"\n[[traffic.bulk]]\nstart = "0s"\n'


def provenance_of(tunnelsim, out, *args, env=None):
    proc = run(tunnelsim, "run", *args, "--out", out, env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "results.json").read_text())


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_provenance_fields_are_present_and_correct(tunnelsim, tmp_path):
    results = provenance_of(tunnelsim, tmp_path / "a", "loss-sweep", *SHORT, "--set", "seed=7")
    p = results["provenance"]
    assert re.fullmatch(r"[0-9a-f]{40}", p["tunnelsim"]["commit"])
    assert isinstance(p["tunnelsim"]["dirty"], bool)
    assert p["build"]["cxx_standard"] == 17 and p["build"]["compiler"]
    assert p["libraries"]["ns3"] == "3.37"
    assert re.fullmatch(r"\d+\.\d+\.\d+", p["libraries"]["libsodium"])
    assert re.fullmatch(r"1\.\d+\.\d+", p["libraries"]["boost"])
    assert p["seed"] == 7 and p["ns3_rng_run"] == 7 and p["ns3_rng_seed"] == 1
    assert p["host"]["cores"] >= 1 and p["host"]["kernel"] == subprocess.run(
        ["uname", "-r"], capture_output=True, text=True).stdout.strip()
    assert p["simulated_seconds"] == 1.0
    assert p["wall_seconds"] > 0
    assert abs(p["sim_to_wall_ratio"] - 1.0 / p["wall_seconds"]) < 1e-9
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["started_utc"])
    assert p["command"][1:4] == ["run", "loss-sweep", "--set"]
    # The hash is the SHA-256 of the canonical resolved scenario, recomputable by a reader.
    import hashlib
    canonical = json.dumps(results["scenario"], sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    assert p["scenario_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert results["versions"]["ns3"] == "3.37"  # kept for existing readers


def test_scenario_hash_is_equal_for_equal_scenarios_and_changes_with_one_key(tunnelsim,
                                                                              tmp_path):
    plain = write(tmp_path, SCENARIO, "plain.toml")
    # The same resolved scenario written differently: keys reordered, a default spelled out.
    spelled = write(tmp_path, 'duration = "1s"\nseed = 1\nname = "p"\n[[traffic.bulk]]\nstart = "0s"\n',
                    "spelled.toml")
    a = provenance_of(tunnelsim, tmp_path / "a", plain)["provenance"]["scenario_sha256"]
    b = provenance_of(tunnelsim, tmp_path / "b", spelled)["provenance"]["scenario_sha256"]
    c = provenance_of(tunnelsim, tmp_path / "c", plain, "--set", "seed=2")
    assert a == b
    assert c["provenance"]["scenario_sha256"] != a


def test_a_dirty_or_moved_source_tree_is_reported(tunnelsim, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "f").write_text("1\n")
    git(repo, "add", "f")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c")
    env = {"PATH": "/usr/bin:/bin", "TUNNELSIM_SOURCE_DIR": str(repo)}
    clean = provenance_of(tunnelsim, tmp_path / "a", write(tmp_path, SCENARIO), env=env)
    source = clean["provenance"]["tunnelsim"]
    assert source["dirty"] is False and source["source_dir"] == str(repo)
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    assert source["runtime_commit"] == head  # not the commit the binary was built from
    (repo / "f").write_text("2\n")
    dirty = provenance_of(tunnelsim, tmp_path / "b", write(tmp_path, SCENARIO), env=env)
    assert dirty["provenance"]["tunnelsim"]["dirty"] is True
    # No repository: null, never an error.
    env["TUNNELSIM_SOURCE_DIR"] = str(tmp_path / "nowhere")
    none = provenance_of(tunnelsim, tmp_path / "c", write(tmp_path, SCENARIO), env=env)
    assert none["provenance"]["tunnelsim"]["dirty"] is None
    assert "runtime_commit" not in none["provenance"]["tunnelsim"]


def test_a_directory_as_scenario_is_an_error(tunnelsim, tmp_path):
    proc = run(tunnelsim, "run", tmp_path, "--out", tmp_path / "out")
    assert proc.returncode == 2
    assert f"{tmp_path}: is a directory" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_an_unwritable_output_directory_fails_before_the_run(tunnelsim, tmp_path):
    started = time.monotonic()
    proc = run(tunnelsim, "run", "loss-sweep", "--set", "duration=60s", "--out", "/proc/x")
    assert time.monotonic() - started < 5  # a 60 s simulation would take far longer
    assert proc.returncode == 2
    assert "cannot write the output directory /proc/x: No such file or directory" in proc.stderr
    blocker = write(tmp_path, "", "file")
    proc = run(tunnelsim, "run", "loss-sweep", *SHORT, "--out", blocker / "sub")
    assert proc.returncode == 2 and f"output directory {blocker / 'sub'}" in proc.stderr
    assert not list(tmp_path.glob(".tunnelsim-write-check*"))


def test_nan_and_infinities_are_named(tunnelsim):
    key = "impairment.wan.down.reorder"
    for text, named in [("nan", "got nan"), ("inf", "got inf"), ("-inf", "got -inf")]:
        proc = run(tunnelsim, "validate", "loss-sweep", "--set", f"{key}={text}")
        assert proc.returncode == 2
        assert named in proc.stderr and "got null" not in proc.stderr, proc.stderr


def test_an_empty_scenario_file_warns_and_runs(tunnelsim, tmp_path):
    empty = write(tmp_path, "# nothing here\n", "empty.toml")
    proc = run(tunnelsim, "validate", empty)
    assert proc.returncode == 0
    assert f"warning: {empty}: the scenario sets no keys: running the defaults" in proc.stderr
    proc = run(tunnelsim, "validate", write(tmp_path, SCENARIO))
    assert "warning" not in proc.stderr
