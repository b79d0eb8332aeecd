"""What Go samples share, built once per machine and toolchain by trusted code (never in the box).

Into `box_cache_dir()/go/<fingerprint>/` (`sandbox.languages.boxcache`), seen read-only at
`/opt/assay/go/<fingerprint>/` in the box:

- `pkg/*.a` and `packages.txt`: the whole standard library and testify (Debian's
  golang-github-stretchr-testify-dev, from /usr/share/gocode, GOPATH mode) compiled without cgo,
  the Go build cache the samples reuse read-only: a sample's build compiles only its own package;
- `pkg/harness.a`: assay's test runner (`box/harness`), the package `assay/harness`;
- `gobuild`: the builder that is a sample's compile step (`box/builder`): tests found by the go
  command's rules, then compile, vet and link called directly.

Built with the go command offline (GOPROXY=off, GOFLAGS=-mod=mod unused in GOPATH mode), in a
temporary build cache that is thrown away. The fingerprint covers `go version`, GOROOT, assay's
box sources and the Go sources under /usr/share/gocode.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from sandbox.languages import boxcache

BOX_SOURCES = os.path.join(os.path.dirname(__file__), "box")
GOPATH = "/usr/share/gocode"
TESTIFY = "github.com/stretchr/testify"
PACKAGES = ("std", f"{TESTIFY}/assert", f"{TESTIFY}/require")
HARNESS = "assay/harness"
BUILDER = "gobuild"


def environment(cache: str) -> dict[str, str]:
    """The go command's environment for the build: offline, GOPATH mode, no cgo."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": cache,
        "GOCACHE": os.path.join(cache, "go-build"),
        "GOPATH": GOPATH,
        "GO111MODULE": "off",
        "GOPROXY": "off",
        "GOFLAGS": "",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
        "GOTELEMETRY": "off",
    }


def toolchain(go: str) -> tuple[str, str]:
    """(GOROOT, the tool directory holding compile, vet and link) of `go`."""
    with tempfile.TemporaryDirectory(prefix="assay-go-env-") as cache:
        out = boxcache.run([go, "env", "GOROOT", "GOTOOLDIR"], cwd=cache, env=environment(cache))
    goroot, tooldir = out.split("\n")[:2]
    return goroot.strip(), tooldir.strip()


def shared_dir(go: str) -> str:
    """The built directory on the host, building it first if needed."""
    with tempfile.TemporaryDirectory(prefix="assay-go-env-") as cache:
        version = boxcache.run([go, "version"], cwd=cache, env=environment(cache))
    goroot, tooldir = toolchain(go)
    key = boxcache.fingerprint(
        version,
        goroot,
        tooldir,
        files=[*boxcache.tree_files(BOX_SOURCES), *_gopath_manifest()],
    )
    return boxcache.built("go", key, lambda work: _build(go, tooldir, work))


def _gopath_manifest() -> list[str]:
    """The go.mod files of Debian's Go packages, which carry their versions."""
    out = []
    for directory, _, names in os.walk(GOPATH):
        out += [os.path.join(directory, n) for n in names if n == "go.mod"]
    return out


def _build(go: str, tooldir: str, work: str) -> None:
    with tempfile.TemporaryDirectory(prefix="assay-go-build-") as cache:
        env = environment(cache)
        listing = boxcache.run(
            [go, "list", "-export", "-deps", "-f",
             "{{.ImportPath}}\t{{.Export}}\t{{if .Standard}}std{{else}}other{{end}}",
             *PACKAGES],
            cwd=cache,
            env=env,
        )  # fmt: skip
        os.makedirs(os.path.join(work, "pkg"))
        lines = []
        for index, row in enumerate(listing.splitlines()):
            path, export, kind = row.split("\t")
            if not export:  # nothing to link: unsafe, or a package of test files only
                continue
            name = f"{index:04d}.a"
            shutil.copy(export, os.path.join(work, "pkg", name))
            lines.append(f"{path} {name} {kind}")
        importcfg = os.path.join(cache, "importcfg")
        with open(importcfg, "w") as fh:
            for line in lines:
                path, name, _ = line.split(" ")
                fh.write(f"packagefile {path}={os.path.join(work, 'pkg', name)}\n")
        boxcache.run(
            [os.path.join(tooldir, "compile"), "-o", os.path.join(work, "pkg", "harness.a"),
             "-p", HARNESS, "-pack", "-complete", "-importcfg", importcfg,
             "-trimpath", f"{BOX_SOURCES}=>assay",
             os.path.join(BOX_SOURCES, "harness", "harness.go")],
            cwd=cache,
            env=env,
        )  # fmt: skip
        lines.append(f"{HARNESS} harness.a other")
        with open(os.path.join(work, "packages.txt"), "w") as fh:
            fh.write("\n".join(lines) + "\n")
        boxcache.run(
            [go, "build", "-trimpath", "-o", os.path.join(work, BUILDER),
             os.path.join(BOX_SOURCES, "builder", "main.go")],
            cwd=cache,
            env=env,
        )  # fmt: skip
