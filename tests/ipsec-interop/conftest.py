import os
from pathlib import Path

import pytest

import ipsecnet

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def interop_env():
    """Skips (saying why) where root, namespaces, TUN or strongSwan are unavailable; removes
    leftovers of earlier crashed runs before the first test and after the last."""
    reasons = ipsecnet.missing_requirements()
    if reasons:
        pytest.skip("ipsec interop tests need: " + "; ".join(reasons))
    ipsecnet.cleanup_leftovers()
    yield
    ipsecnet.cleanup_leftovers()


@pytest.fixture(scope="session")
def daemon(interop_env) -> str:
    """Path of tunnelsim-ipsec-up (ctest passes it in TUNNELSIM_IPSEC_UP)."""
    path = os.environ.get("TUNNELSIM_IPSEC_UP")
    if not path:
        build = Path(os.environ.get("TUNNELSIM_BUILD_DIR", REPO / "build"))
        path = str(build / "programs" / "ipsec-up" / "tunnelsim-ipsec-up")
    if not os.access(path, os.X_OK):
        pytest.fail(f"tunnelsim-ipsec-up not found at {path}; build it or set "
                    "TUNNELSIM_IPSEC_UP")
    return path


@pytest.fixture
def topo(daemon):
    with ipsecnet.Topology(daemon) as t:
        yield t


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the logs of the IKE daemons of that test."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    topo = item.funcargs.get("topo") if hasattr(item, "funcargs") else None
    if topo is None:
        return
    for d in sorted(p for p in topo.workdir.iterdir() if p.is_dir()):
        report.sections.append((f"log {d.name}", topo.log(d.name)[-6000:]))
