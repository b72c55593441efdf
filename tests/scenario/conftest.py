import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LIBRARY = REPO / "scenarios" / "library"


@pytest.fixture(scope="session")
def tunnelsim() -> str:
    """The tunnelsim binary (ctest passes it in TUNNELSIM_BIN)."""
    path = os.environ.get("TUNNELSIM_BIN",
                          str(Path(os.environ.get("TUNNELSIM_BUILD_DIR", REPO / "build"))
                              / "scenarios" / "cli" / "tunnelsim"))
    if not Path(path).exists():
        pytest.fail(f"tunnelsim binary not found at {path}; set TUNNELSIM_BIN")
    return path
