import json

import pytest

from appliance.audit import AuditLog
from appliance.errors import AuditWriteError


def _log(tmp_path, n=5):
    log = AuditLog(tmp_path / "audit")
    for i in range(n):
        log.record("test.event", artifacts={f"a{i}": "0" * 64}, details={"i": i})
    return log


def test_intact_chain_verifies(tmp_path):
    log = _log(tmp_path)
    res = log.verify()
    assert res.ok and res.records == 5
    recs = log.records()
    assert [r["seq"] for r in recs] == list(range(5))
    assert all(recs[i]["prev"] == recs[i - 1]["hash"] for i in range(1, 5))


@pytest.mark.parametrize("damage", ["flip", "delete", "swap", "duplicate", "torn"])
def test_damage_is_detected_at_the_right_line(tmp_path, damage):
    log = _log(tmp_path)
    lines = log.path.read_bytes().splitlines(keepends=True)
    if damage == "flip":
        rec = json.loads(lines[2])
        rec["details"]["i"] = 99
        lines[2] = (json.dumps(rec, sort_keys=True, separators=(",", ":")) + "\n").encode()
        expect = 3
    elif damage == "delete":
        del lines[2]
        expect = 3
    elif damage == "swap":
        lines[1], lines[2] = lines[2], lines[1]
        expect = 2
    elif damage == "duplicate":
        lines.insert(3, lines[2])
        expect = 4
    else:
        lines[-1] = lines[-1][:-10]
        expect = 5
    log.path.write_bytes(b"".join(lines))
    res = log.verify()
    assert not res.ok and res.first_bad_line == expect, res


def test_torn_tail_blocks_further_appends(tmp_path):
    log = _log(tmp_path, 2)
    log.path.write_bytes(log.path.read_bytes()[:-5])
    with pytest.raises(AuditWriteError, match="incomplete record"):
        log.record("x")


def test_unwritable_log_fails_closed(tmp_path):
    log = AuditLog(tmp_path / "audit")
    log.path.mkdir(parents=True)  # the log path is a folder: open() fails even as root
    with pytest.raises(AuditWriteError):
        log.record("x")
