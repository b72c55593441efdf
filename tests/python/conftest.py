import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def build_dir() -> Path:
    """The CMake build directory (make passes it in TUNNELSIM_BUILD_DIR)."""
    return Path(os.environ.get("TUNNELSIM_BUILD_DIR", REPO / "build"))
