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

import re
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "hack"))

import localcluster  # noqa: E402

MODULE = "github.com/kuadrant/kuadrant-operator"
MAIN_PACKAGE = f"{MODULE}/cmd"


def pinned_version() -> str:
    """The operator release the wrapper module requires."""
    match = re.search(r"^\s*(?:require\s+)?%s\s+(v\S+)" % re.escape(MODULE), (HERE / "go.mod").read_text(),
                      re.MULTILINE)
    if not match:
        raise SystemExit(f"tests/kuadrant/go.mod does not require {MODULE}")
    return match.group(1)


def binary_path(version: str | None = None) -> Path:
    version = version or pinned_version()
    return localcluster.bin_dir("kuadrant-operator", version) / "kuadrant-operator"


def build() -> tuple[Path, float | None]:
    """(path of the binary, seconds the build took or None when it was cached)."""
    version = pinned_version()
    target = binary_path(version)
    if target.exists():
        return target, None
    work = localcluster.build_dir(f"kuadrant-operator-{version}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in ("go.mod", "go.sum"):
        shutil.copy(HERE / name, work / name)
    out = work / "out"
    localcluster.log(f"building kuadrant-operator {version} (cold build: several minutes on 2 cores)")
    started = time.monotonic()
    env = localcluster.go_env()
    env["GOFLAGS"] = "-mod=readonly"
    localcluster.run(["go", "build", "-trimpath", f"-ldflags=-s -w -X main.version={version}",
                      "-o", str(out / "kuadrant-operator"), MAIN_PACKAGE], cwd=work, env=env)
    elapsed = time.monotonic() - started
    target.parent.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target.parent, ignore_errors=True)
    out.rename(target.parent)
    localcluster.log(f"built kuadrant-operator {version} in {elapsed:.0f}s")
    return target, elapsed


if __name__ == "__main__":
    path, seconds = build()
    print(path)
