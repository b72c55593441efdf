import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def missing_requirements():
    reasons = []
    if os.geteuid() != 0:
        reasons.append("root")
    if not os.path.exists("/dev/net/tun"):
        reasons.append("/dev/net/tun")
    if not any(os.access(os.path.join(d, "ip"), os.X_OK) for d in ("/usr/sbin", "/sbin", "/usr/bin", "/bin")):
        reasons.append("the ip command (iproute2)")
    return reasons


@pytest.fixture(scope="session")
def tunnelsim() -> str:
    """Path of the tunnelsim binary (ctest passes it in TUNNELSIM_BIN)."""
    path = os.environ.get("TUNNELSIM_BIN")
    if not path:
        build = Path(os.environ.get("TUNNELSIM_BUILD_DIR", REPO / "build"))
        path = str(build / "scenarios" / "cli" / "tunnelsim")
    if not os.access(path, os.X_OK):
        pytest.fail(f"tunnelsim not found at {path}; build it or set TUNNELSIM_BIN")
    return path


@pytest.fixture(scope="session")
def emulate_env():
    """Skips, saying why, where emulation cannot run (no root, no TUN, no iproute2)."""
    reasons = missing_requirements()
    if reasons:
        pytest.skip("emulate tests need: " + "; ".join(reasons))
