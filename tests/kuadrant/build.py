"""Build the real Kuadrant operator from the Go module proxy, for the tests that run it.

    python tests/kuadrant/build.py        build (or find cached) and print the binary's path

The wrapper module next to this file (go.mod, go.sum) requires one tagged release of
github.com/kuadrant/kuadrant-operator and names its manager's main package (`/cmd`, not the module
root) as a `tool`; it has no replace directives (the release's own go.mod has none either), so the
binary is built from exactly the dependencies that release declares. go.sum pins every checksum.

The binary is cached under ~/.cache/modelserving-maas/kuadrant-operator-<version>-<go version>/bin/,
like the control plane's binaries (hack/localcluster.py); nothing built is kept in the work tree.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "hack"))

import localcluster  # noqa: E402

MODULE = "github.com/kuadrant/kuadrant-operator"
MAIN_PACKAGE = f"{MODULE}/cmd"
NAME = "kuadrant-operator"


def pinned_version() -> str:
    """The operator release the wrapper module requires."""
    return localcluster.wrapper_version(HERE, MODULE)


def binary_path(version: str | None = None) -> Path:
    return localcluster.bin_dir(NAME, version or pinned_version()) / NAME


def build() -> tuple[Path, float | None]:
    """(path of the binary, seconds the build took or None when it was cached)."""
    return localcluster.build_go_tool(NAME, HERE, MODULE, MAIN_PACKAGE)


if __name__ == "__main__":
    path, seconds = build()
    print(path)
