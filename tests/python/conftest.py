import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def build_dir() -> Path:
    """The CMake build directory (make passes it in TUNNELSIM_BUILD_DIR)."""
    return Path(os.environ.get("TUNNELSIM_BUILD_DIR", REPO / "build"))


# --- tunnelsim Python package (python/, docs/python.md) ---------------------------------------
import sys  # noqa: E402

# The package and its compiled extension live in <build>/python after `make`.
_BUILD_PYTHON = Path(os.environ.get("TUNNELSIM_BUILD_DIR", REPO / "build")) / "python"
if (_BUILD_PYTHON / "tunnelsim").is_dir() and str(_BUILD_PYTHON) not in sys.path:
    sys.path.insert(0, str(_BUILD_PYTHON))


@pytest.fixture(scope="session")
def tunnelsim_cli(build_dir) -> Path:
    """The built `tunnelsim` CLI. Missing while the repository has its sources is a failure
    (make builds it), not a skip."""
    candidates = [Path(os.environ["TUNNELSIM_CLI"])] if os.environ.get("TUNNELSIM_CLI") else []
    candidates.append(build_dir / "scenarios" / "cli" / "tunnelsim")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    if (REPO / "scenarios" / "cli" / "main.cc").is_file():
        pytest.fail(f"the tunnelsim CLI is not built (looked at {candidates}); run make")
    pytest.skip("this checkout has no tunnelsim CLI sources")


@pytest.fixture(scope="session")
def python_path_env(build_dir) -> dict:
    """Environment for subprocesses (python -m tunnelsim, Dask workers) that import tunnelsim."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(_BUILD_PYTHON)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env
