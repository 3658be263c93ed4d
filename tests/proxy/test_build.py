"""The proxy's own build: Go unit tests, static binaries for both architectures, reproducible bytes."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import PROXY_SOURCE, ROOT, proxy_build


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_go_tests_pass_with_pythons_regex_results(tmp_path: Path) -> None:
    """The Go tests, including the regex differential: every pattern of the Python guard (rules and
    detectors), translated, on thousands of texts (rule examples, adversarial runs, Unicode and
    control-character fuzz) finds what Python's re finds."""
    vectors = {name: tmp_path / f"{name}.json" for name in ("pyre", "detector", "engine", "guard")}
    subprocess.run([sys.executable, str(PROXY_SOURCE / "gen" / "generate.py"), "--vectors", str(vectors["pyre"]),
                    "--detector-vectors", str(vectors["detector"]), "--engine-vectors", str(vectors["engine"]),
                    "--guard-vectors", str(vectors["guard"])], check=True)
    vectors["responses"] = tmp_path / "responses.json"
    subprocess.run([sys.executable, str(PROXY_SOURCE / "gen" / "vectors_responses.py"), str(vectors["responses"])],
                   check=True)
    vectors["records"] = tmp_path / "records.json"
    subprocess.run([sys.executable, str(PROXY_SOURCE / "gen" / "vectors_records.py"), str(vectors["records"]),
                    "--fuzz", "500"], check=True)
    vectors["invocations"] = tmp_path / "invocations.json"
    subprocess.run([sys.executable, str(PROXY_SOURCE / "gen" / "vectors_invocations.py"), str(vectors["invocations"])],
                   check=True)
    go = proxy_build.go_binary()  # type: ignore[attr-defined]
    done = subprocess.run([go, "test", "-v", "./..."], cwd=PROXY_SOURCE, capture_output=True, text=True, check=False,
                          env={**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=readonly",
                               "PYRE_VECTORS": str(vectors["pyre"]), "DETECTOR_VECTORS": str(vectors["detector"]),
                               "ENGINE_VECTORS": str(vectors["engine"]), "GUARD_VECTORS": str(vectors["guard"]),
                               "RESPONSES_VECTORS": str(vectors["responses"]),
                               "RECORDS_VECTORS": str(vectors["records"]),
                               "INVOCATION_VECTORS": str(vectors["invocations"])})
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr
    # every differential test ran (only the timing benchmarks skip) and found nothing different
    assert "--- SKIP: TestSameAs" not in done.stdout
    differ = [line for line in done.stdout.splitlines() if " differ" in line]
    assert differ and all(" 0 differ" in line for line in differ), differ
    for name in ("patterns", "paths+html", "all-but-shell", "full:", "paths:", "html:", "sql:", "shell:",
                 "configurations", "responses:", "inspections:", "redact_location:", "invocations:"):
        assert any(name in line for line in differ), name


def test_binaries_are_static_linux_executables_for_both_architectures(proxy_binaries: dict[str, Path]) -> None:
    machines = {"amd64": 0x3E, "arm64": 0xB7}  # ELF e_machine: x86-64, AArch64
    for arch, path in proxy_binaries.items():
        data = path.read_bytes()
        assert data[:4] == b"\x7fELF" and data[4] == 2  # ELF, 64-bit
        assert int.from_bytes(data[18:20], "little") == machines[arch]
        # no PT_INTERP program header (no dynamic loader): statically linked, runs on AL2 and AL2023
        phoff = int.from_bytes(data[32:40], "little")
        phentsize, phnum = int.from_bytes(data[54:56], "little"), int.from_bytes(data[56:58], "little")
        types = [int.from_bytes(data[phoff + i * phentsize:phoff + i * phentsize + 4], "little") for i in range(phnum)]
        assert 1 in types and 3 not in types, types  # PT_LOAD present, PT_INTERP absent
    assert set(proxy_binaries) == {"amd64", "arm64"}


def test_the_same_source_gives_the_same_bytes(proxy_binaries: dict[str, Path], tmp_path: Path) -> None:
    """A copy of the source elsewhere, an empty build cache: the arm64 binary is byte-identical."""
    source = tmp_path / "elsewhere" / "proxy"
    shutil.copytree(PROXY_SOURCE, source, ignore=shutil.ignore_patterns("build", "__pycache__"))
    again = proxy_build.build(tmp_path / "out", ("arm64",), source=source,  # type: ignore[attr-defined]
                              gocache=tmp_path / "gocache")
    assert _sha(again["arm64"]) == _sha(proxy_binaries["arm64"])


def test_the_wheel_carries_the_binaries_a_synth_stages(proxy_binaries: dict[str, Path], tmp_path: Path) -> None:
    """The wheel holds both prebuilt binaries (executable) and the wrapper, byte-identical to a build from
    the same source elsewhere: a user's cdk synth only stages them, no compiler needed."""
    import zipfile

    bundled = ROOT / "protect_lambda_construct" / "proxy_bin"
    assert (bundled / "linux-amd64" / "protect-lambda-proxy").is_file(), "make install builds them (make proxy)"
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                           "--wheel-dir", str(tmp_path), str(ROOT)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("protect_lambda-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        for arch, built in proxy_binaries.items():
            info = archive.getinfo(f"protect_lambda_construct/proxy_bin/linux-{arch}/protect-lambda-proxy")
            assert info.external_attr >> 16 & 0o111, "executable"
            assert archive.read(info) == built.read_bytes(), f"{arch}: not the bytes the same source builds"
        wrapper = archive.getinfo("protect_lambda_construct/proxy_bin/wrapper")
        assert archive.read(wrapper) == (PROXY_SOURCE / "layer" / "wrapper").read_bytes()
        assert wrapper.external_attr >> 16 & 0o111


def test_a_build_of_other_sources_is_stale(tmp_path: Path) -> None:
    """The constructs and `scan --engine proxy` refuse binaries built from other sources than the
    checkout's (a guard changed without `make proxy`): the build records what it was built from."""
    build = proxy_build
    assert "run `make proxy`" in build.stale(tmp_path)  # type: ignore[attr-defined]  # never built there
    (tmp_path / build.SOURCE_FILE).write_text("0" * 64 + "\n")  # type: ignore[attr-defined]
    assert "other sources" in build.stale(tmp_path)  # type: ignore[attr-defined]
    (tmp_path / build.SOURCE_FILE).write_text(build.source_digest() + "\n")  # type: ignore[attr-defined]
    assert build.stale(tmp_path) == ""  # type: ignore[attr-defined]
    names = {p.name for p in build.source_files()}  # type: ignore[attr-defined]
    assert {"guard.py", "contract.py", "main.go", "go.mod", "wrapper", "generate.py"} <= names
    assert not any(name.endswith("_gen.go") for name in names)
