"""Audit bundle: one archive an auditor verifies offline, with the records' keys wrapped for the auditor.

Contents (docs/audit-format.md §6): segments/, checkpoints.jsonl, public/, wrapped_keys.json, lineage.json,
report.html, manifest.json (sha256 of every other file) and manifest.sig (Ed25519 by the workspace key).
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from appliance.audit import crypto
from appliance.audit.format import decrypt_body, parse_line
from appliance.audit.report import render_report
from appliance.audit.verify import VerifyResult, verify_log
from appliance.errors import BadInput
from appliance.workspace import sha256_bytes, sha256_file, utc_now

MANIFEST_CONTEXT = b"compliance-appliance/audit-bundle-manifest/v1\n"
WRAP_AAD = b"compliance-appliance/audit-data-key/v1:"


def _lineage(ws: Any) -> list[dict[str, Any]]:
    """For each export: export → run → datasets and model → their inputs (ids and hashes only)."""

    def walk(kind: str, art_id: str, depth: int = 0) -> dict[str, Any]:
        try:
            art = ws.get(kind, art_id)
        except Exception:
            return {"kind": kind, "id": art_id, "missing": True}
        node = {"kind": kind, "id": art_id, "manifest_sha256": art.manifest_sha256, "inputs": []}
        for inp in art.manifest.get("inputs", []):
            if inp["kind"] in ("dataset", "model", "run", "export") and depth < 8:
                node["inputs"].append(walk(inp["kind"], inp["id"], depth + 1))
            else:
                node["inputs"].append(dict(inp))
        return node

    return [walk("export", a.id) for a in ws.list("export")]


def export_bundle(
    log: Any, ws: Any, out: Path, auditor_pub: Path, since: str | None = None, until: str | None = None
) -> dict[str, Any]:
    """Write the bundle to `out` (.tar.gz). The whole chain is included; the report covers [since, until]."""
    ring = log.keyring(create=False)
    res = log.verify()
    auditor_kid, auditor_key = crypto.load_auditor_public(auditor_pub)
    if out.exists():
        raise BadInput(f"{out} already exists; choose a new file name")
    records = list(log.iter_records(decrypt=True))
    in_period = [
        r for r in records if (since is None or r["time"] >= since) and (until is None or r["time"] <= until)
    ]
    files: dict[str, bytes] = {}
    for _seg, path in log.segments():
        files[f"segments/{path.name}"] = path.read_bytes()
    if log.checkpoints_path.exists():
        files["checkpoints.jsonl"] = log.checkpoints_path.read_bytes()
    for p in sorted(log.public_dir.glob("*.json")):
        files[f"public/{p.name}"] = p.read_bytes()
    wrapped = {
        "auditor_key_id": auditor_kid,
        "keys": [
            {"segment": seg, **crypto.wrap_for(auditor_key, key, WRAP_AAD + str(seg).encode())}
            for seg, key in sorted(ring.data.items())
        ],
    }
    files["wrapped_keys.json"] = _json(wrapped)
    lineage = _lineage(ws)
    files["lineage.json"] = _json(lineage)
    period = {"from": since, "to": until}
    files["report.html"] = render_report(in_period, lineage, res, period, history=records).encode("utf-8")
    manifest = {
        "v": 1,
        "created": utc_now(),
        "period": period,
        "records": len(records),
        "records_in_period": len(in_period),
        "signing_key_id": ring.signing_key_id,
        "auditor_key_id": auditor_kid,
        "verification": res.as_dict(),
        "files": {name: sha256_bytes(data) for name, data in sorted(files.items())},
    }
    files["manifest.json"] = _json(manifest)
    sig = crypto.sign(ring.signing_key, MANIFEST_CONTEXT + files["manifest.json"])
    files["manifest.sig"] = _json({"key_id": ring.signing_key_id, "sig": crypto.b64e(sig)})
    tmp = out.with_name(f".{out.name}.partial")
    with tarfile.open(tmp, "w:gz") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(f"audit-bundle/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    tmp.replace(out)
    log.record(
        "audit.export",
        artifacts={out.name: sha256_file(out)},
        details={"records": len(records), "period": period, "auditor_key_id": auditor_kid},
    )
    return manifest


def _json(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _safe_extract(bundle: Path, dest: Path) -> Path:
    try:
        tar = tarfile.open(bundle, "r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise BadInput(f"{bundle}: not an audit bundle ({exc})") from None
    with tar:
        for m in tar.getmembers():
            if not (m.isfile() or m.isdir()) or m.name.startswith("/") or ".." in Path(m.name).parts:
                raise BadInput(f"{bundle}: unexpected entry {m.name!r}; refusing to extract")
        tar.extractall(dest, filter="data")
    root = dest / "audit-bundle"
    if not (root / "manifest.json").is_file():
        raise BadInput(f"{bundle}: no manifest.json inside; not an audit bundle")
    return root


def verify_bundle(
    bundle: Path,
    pins: list[str] | None = None,
    auditor_key: Path | None = None,
    auditor_passphrase: str | None = None,
) -> tuple[VerifyResult, dict[str, Any]]:
    """Check a bundle without a workspace: manifest, signature, the log, and (with the auditor key) bodies."""
    with tempfile.TemporaryDirectory(prefix="audit-bundle-") as tmp:
        root = _safe_extract(bundle, Path(tmp))
        manifest_bytes = (root / "manifest.json").read_bytes()
        manifest = json.loads(manifest_bytes)
        for name, digest in manifest["files"].items():
            f = root / name
            if not f.is_file() or sha256_bytes(f.read_bytes()) != digest:
                return VerifyResult(
                    False,
                    0,
                    kind="bundle",
                    problem=f"{name} is missing or differs from the manifest",
                    where=name,
                ), manifest
        extra = (
            {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
            - set(manifest["files"])
            - {"manifest.json", "manifest.sig"}
        )
        if extra:
            return VerifyResult(
                False,
                0,
                kind="bundle",
                problem=f"files not in the manifest: {sorted(extra)}",
                where="manifest.json",
            ), manifest
        sig = json.loads((root / "manifest.sig").read_text())
        pubs = {}
        for p in (root / "public").glob("*.json"):
            doc = json.loads(p.read_text())
            pubs[doc["key_id"]] = crypto.b64d(doc["public"])
        if sig["key_id"] not in pubs or not crypto.verify_signature(
            pubs[sig["key_id"]], crypto.b64d(sig["sig"]), MANIFEST_CONTEXT + manifest_bytes
        ):
            return VerifyResult(
                False,
                0,
                kind="bad-signature",
                problem="manifest signature does not verify",
                where="manifest.sig",
            ), manifest
        data_keys = None
        if auditor_key is not None:
            priv = crypto.load_auditor_private(auditor_key, auditor_passphrase or "")
            wrapped = json.loads((root / "wrapped_keys.json").read_text())
            data_keys = {
                w["segment"]: crypto.unwrap_with(priv, w, WRAP_AAD + str(w["segment"]).encode())
                for w in wrapped["keys"]
            }
        res = verify_log(root, pins=pins, data_keys=data_keys)
        if res.ok and pins and sig["key_id"] not in res.signing_keys and sig["key_id"] not in pins:
            res = VerifyResult(
                False,
                res.records,
                kind="untrusted-key",
                where="manifest.sig",
                problem=f"manifest signed by key {sig['key_id']}, not a pinned or log-signing key",
            )
        return res, manifest


def decrypt_bundle_records(bundle: Path, auditor_key: Path, auditor_passphrase: str) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="audit-bundle-") as tmp:
        root = _safe_extract(bundle, Path(tmp))
        priv = crypto.load_auditor_private(auditor_key, auditor_passphrase)
        wrapped = json.loads((root / "wrapped_keys.json").read_text())
        keys = {
            w["segment"]: crypto.unwrap_with(priv, w, WRAP_AAD + str(w["segment"]).encode())
            for w in wrapped["keys"]
        }
        out = []
        for p in sorted((root / "segments").glob("*.jsonl")):
            for line in p.read_bytes().splitlines():
                parsed = parse_line(line)
                out.append(
                    {**parsed.header, "details": decrypt_body(keys[parsed.header["segment"]], parsed.header)}
                )
        return out
