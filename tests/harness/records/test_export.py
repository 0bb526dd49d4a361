"""A sweep's records exported and restored (``run.records``): what travels, what is replaced, what is kept."""

from __future__ import annotations

from pathlib import Path

from harness.records.export import export_records, finished, mirrored, restore_records


def _policy(sweep: Path, name: str, done: bool, weights: bool = True) -> Path:
    d = sweep / "policies" / name
    (d / "verdicts").mkdir(parents=True)
    (d / "config.yaml").write_text(f"name: {name}\n")
    (d / "verdicts" / "step-1-0.parquet").write_bytes(b"PAR1")
    if weights:
        (d / "model.safetensors").write_bytes(b"\0" * 64)
    if done:
        (d / "DONE").write_text("key\n")
    return d


def _cell(sweep: Path, name: str) -> Path:
    d = sweep / "cells" / name
    d.mkdir(parents=True)
    (d / "result.json").write_text('{"score": 0.5}')
    (d / "DONE").write_text("key\n")
    return d


def test_export_then_restore_round_trips_the_finished_records(tmp_path):
    sweep = tmp_path / "runs" / "s"
    _policy(sweep, "static-s0", done=True)
    _policy(sweep, "focal-s0", done=False)  # unfinished: not a record
    _cell(sweep, "static-s0-bench")
    n = export_records(sweep, tmp_path / "records")
    got = sorted(str(p.relative_to(tmp_path / "records")) for p in (tmp_path / "records").rglob("*") if p.is_file())
    assert got == ["cells/static-s0-bench/DONE", "cells/static-s0-bench/result.json", "policies/static-s0/DONE",
                   "policies/static-s0/config.yaml", "policies/static-s0/verdicts/step-1-0.parquet"]
    assert n == len(got)

    fresh = tmp_path / "elsewhere" / "s"
    assert restore_records(tmp_path / "records", fresh) == n
    assert [(sub, d.name) for sub, d in finished(fresh)] == [("cells", "static-s0-bench"), ("policies", "static-s0")]
    assert restore_records(tmp_path / "records", fresh) == 0  # already there: nothing copied twice


def test_restore_keeps_a_finished_folder_and_replaces_an_unfinished_one(tmp_path):
    records, sweep = tmp_path / "records", tmp_path / "runs" / "s"
    _policy(records, "a", done=True, weights=False)
    _policy(records, "b", done=True, weights=False)
    (records / "policies" / "a" / "config.yaml").write_text("from: records\n")
    (records / "policies" / "b" / "config.yaml").write_text("from: records\n")
    _policy(sweep, "a", done=True)  # finished here: its own files are newer
    _policy(sweep, "b", done=False)  # killed here, finished in the records
    restore_records(records, sweep)
    assert (sweep / "policies" / "a" / "config.yaml").read_text() == "name: a\n"
    assert (sweep / "policies" / "b" / "config.yaml").read_text() == "from: records\n"
    assert not (sweep / "policies" / "b" / "model.safetensors").exists()
    assert not [p for p in (sweep / "policies").iterdir() if p.name.startswith(".")]  # no temp folder left


def test_mirrored_restores_before_and_exports_after_even_on_failure(tmp_path):
    records, sweep = tmp_path / "records", tmp_path / "runs" / "s"
    _policy(records, "old", done=True, weights=False)
    try:
        with mirrored(sweep, str(records)):
            assert (sweep / "policies" / "old" / "DONE").is_file()  # restored before the cell runs
            _policy(sweep, "new", done=True)
            raise RuntimeError("the cell failed after a policy finished")
    except RuntimeError:
        pass
    assert sorted(d.name for _, d in finished(records)) == ["new", "old"]


def test_mirrored_writes_no_records_folder_when_nothing_finished(tmp_path):
    with mirrored(tmp_path / "runs" / "s", str(tmp_path / "records")):
        pass
    assert not (tmp_path / "records").exists()
    with mirrored(tmp_path / "runs" / "s", None):  # run.records unset: nothing at all
        pass
