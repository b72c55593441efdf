import os
from pathlib import Path

import pytest

import wgnet

REPO = Path(__file__).resolve().parents[2]


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_daemon: uses the tunnelsim-wg-up binary")


@pytest.fixture(scope="session")
def realnet_env():
    """Skips (saying why) where namespaces, TUN or wireguard-go are unavailable; removes
    leftovers of earlier crashed runs before the first test and after the last."""
    reasons = wgnet.missing_requirements()
    if reasons:
        pytest.skip("realnet interop tests need: " + "; ".join(reasons))
    wgnet.cleanup_leftovers()
    yield
    wgnet.cleanup_leftovers()


@pytest.fixture(scope="session")
def daemon(realnet_env) -> str:
    """Path of tunnelsim-wg-up (ctest passes it in TUNNELSIM_WG_UP)."""
    path = os.environ.get("TUNNELSIM_WG_UP")
    if not path:
        build = Path(os.environ.get("TUNNELSIM_BUILD_DIR", REPO / "build"))
        path = str(build / "programs" / "wg-up" / "tunnelsim-wg-up")
    if not os.access(path, os.X_OK):
        pytest.fail(f"tunnelsim-wg-up not found at {path}; build it or set TUNNELSIM_WG_UP")
    return path


@pytest.fixture
def topo(realnet_env):
    with wgnet.Topology() as t:
        yield t


def pytest_runtest_makereport(item, call):
    """On failure, attach the logs of the WireGuard processes of that test."""
    if call.when != "call" or call.excinfo is None:
        return
    topo = item.funcargs.get("topo") if hasattr(item, "funcargs") else None
    if topo is None:
        return
    for log in sorted(topo.workdir.glob("*.log")):
        text = log.read_text(errors="replace")[-6000:]
        item.add_report_section("call", f"log {log.name}", text)
