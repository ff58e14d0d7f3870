"""The run store: round trip, concurrent reading, crash safety and damaged files."""

import os
import sqlite3

import numpy as np
import pytest

from aegui.core.config.config import with_changes
from aegui.core.store.recorder import RunRecorder
from aegui.core.store.store import RunStore, StoreError
from aegui.core.engine.records import LossBlock
from tests.batches import per_batch
from aegui.core.engine.training import train


def record(store, cfg, **kw):
    rec = RunRecorder(store, **kw)
    losses = []
    for r in train(cfg):
        rec.feed(r)
        if isinstance(r, LossBlock):
            losses.extend(r.loss)
    return rec.run_id, np.array(losses, dtype=np.float32)


def test_round_trip(tmp_path, tiny):
    store = RunStore.open(tmp_path)
    run_id, losses = record(store, tiny)
    row = store.get_run(run_id)
    assert row.status == "finished" and row.stop_reason == "max_epochs" and row.config == tiny
    assert row.batches == len(losses) == 8 and row.epochs == 2 and row.device == "cpu"
    np.testing.assert_array_equal(store.losses(run_id), losses)
    assert len(store.epoch_means(run_id)) == 2 and row.final_loss == pytest.approx(store.epoch_means(run_id)[-1])
    assert row.floor == 0.0 and row.floor_exact and set(row.versions) >= {"aegui", "torch", "numpy"}


def test_rename_notes_delete(tmp_path, tiny):
    store = RunStore.open(tmp_path)
    a, _ = record(store, tiny)
    b, _ = record(store, tiny)
    store.rename(a, "first")
    store.set_notes(a, "looks fine")
    assert store.get_run(a).name == "first" and store.get_run(a).notes == "looks fine"
    store.delete(b)
    assert [r.run_id for r in store.list_runs()] == [a]
    assert len(store.losses(b)) == 0


def test_curve_costs_four_bytes_a_batch(tmp_path, tiny, monkeypatch):
    from aegui.core.store import recorder
    store = RunStore.open(tmp_path)
    monkeypatch.setattr(recorder, "COMMIT_SECONDS", 0.0)  # commit every record: many small chunks
    run_id, losses = record(store, with_changes(tiny, **{"training.epochs": 20}))
    chunks, size = store.db.execute("SELECT COUNT(*), SUM(LENGTH(data)) FROM loss_chunks WHERE run_id=?",
                                    (run_id,)).fetchone()
    assert chunks == 1 and size < 4 * len(losses)  # compacted at the end into one packed block
    np.testing.assert_array_equal(store.losses(run_id), losses)  # lossless: bit for bit


def test_reader_lists_while_writer_trains(tmp_path, tiny):
    writer = RunStore.open(tmp_path)
    reader = RunStore.open(tmp_path)
    rec = RunRecorder(writer)
    cfg = with_changes(tiny, **{"training.epochs": 3})
    for r in train(cfg):
        rec.feed(r)
        if isinstance(r, LossBlock) and r.start_step == 0:
            rec.flush()
            rows = reader.list_runs()
            assert rows[0].status == "running" and len(reader.losses(rows[0].run_id)) == len(r)
    assert reader.list_runs()[0].status == "finished"


# kill -9 during a run: tests/core/test_faults.py (losses kept to within 1 s of the kill).


def test_corrupt_database_is_moved_aside(tmp_path, tiny):
    db = tmp_path / "runs.sqlite"
    db.write_bytes(b"this is not a database" * 100)
    store = RunStore.open(tmp_path)
    assert "moved to" in store.notice
    aside = [p for p in os.listdir(tmp_path) if ".corrupt-" in p]
    assert len(aside) == 1 and (tmp_path / aside[0]).read_bytes().startswith(b"this is not")
    record(store, tiny)
    assert len(store.list_runs()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_folder_is_a_clear_message(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(StoreError, match="not writable"):
        RunStore.open(ro)


def test_read_only_folder_as_root_too(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    with pytest.raises(StoreError, match="not writable"):
        RunStore.open(tmp_path)


def test_bce_runs_keep_each_batch_floor(tmp_path, tiny):
    from aegui.core.config.config import apply_loss
    store = RunStore.open(tmp_path)
    cfg = apply_loss(tiny, "bce")
    rec = RunRecorder(store)
    records = [r for r in train(cfg) if rec.feed(r) or True]
    batches = list(per_batch(records))
    floors = store.batch_floors(rec.run_id)
    np.testing.assert_allclose(floors, [b.floor for b in batches], rtol=1e-6)
    assert (store.losses(rec.run_id) - floors > 0).all()  # BCE = H(x) + KL(x‖x̂) > H(x) batch by batch
    mse_id, _ = record(store, tiny)
    assert store.batch_floors(mse_id) is None


def test_older_store_gains_the_floors_column(tmp_path):
    db = sqlite3.connect(tmp_path / "runs.sqlite")
    db.execute("CREATE TABLE loss_chunks(run_id INTEGER NOT NULL, start_step INTEGER NOT NULL, n INTEGER NOT NULL,"
               " data BLOB NOT NULL, PRIMARY KEY(run_id, start_step)) WITHOUT ROWID")
    db.commit()
    db.close()
    store = RunStore.open(tmp_path)
    assert "floors" in {r[1] for r in store.db.execute("PRAGMA table_info(loss_chunks)")}


OLD_SCHEMA = """
CREATE TABLE runs(
  run_id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL, status TEXT NOT NULL, stop_reason TEXT, config TEXT NOT NULL,
  created REAL NOT NULL, updated REAL NOT NULL, seconds REAL DEFAULT 0,
  batches INTEGER DEFAULT 0, epochs INTEGER DEFAULT 0,
  final_loss REAL, min_epoch_loss REAL, floor REAL, floor_exact INTEGER, floor_basis TEXT,
  device TEXT, versions TEXT, notes TEXT DEFAULT '', copies INTEGER DEFAULT 1,
  batches_per_s REAL, pid INTEGER, host TEXT, error TEXT, group_name TEXT, copy_final TEXT);
CREATE TABLE loss_chunks(
  run_id INTEGER NOT NULL, start_step INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL,
  floors BLOB, PRIMARY KEY(run_id, start_step)) WITHOUT ROWID;
CREATE TABLE epochs(
  run_id INTEGER NOT NULL, epoch INTEGER NOT NULL, epoch_mean REAL, recent_mean REAL,
  step INTEGER, seconds REAL, PRIMARY KEY(run_id, epoch)) WITHOUT ROWID;
"""


def test_a_store_written_before_floors_had_claims_opens_with_its_floors_named(tmp_path):
    import sqlite3
    from aegui.core.config.config import RunConfig, with_changes
    from aegui.core.config.config_io import to_json
    path = tmp_path / "runs.sqlite"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    rows = [("bce run", with_changes(RunConfig(), **{"loss.kind": "bce", "model.output": "sigmoid"}), 0.5004, 1),
            ("pca run", with_changes(RunConfig(), **{"data.features": 4, "model.encoding_dim": 2}), 0.04, 1),
            ("mlp run", with_changes(RunConfig(), **{"data.features": 4, "model.encoding_dim": 2,
                                                     "model.kind": "mlp"}), 0.04, 0)]
    for name, config, floor, exact in rows:
        db.execute("INSERT INTO runs(name, status, config, created, updated, final_loss, floor, floor_exact) "
                   "VALUES(?, 'finished', ?, 0, 0, ?, ?, ?)", (name, to_json(config), floor + 0.01, floor, exact))
    db.commit()
    db.close()
    store = RunStore(path)
    by_name = {r.name: r for r in store.list_runs()}
    assert len(by_name) == 3
    assert [(f.name, f.claim) for f in by_name["bce run"].floors] == [("data", "lower bound")]
    assert ("model", "exact") in [(f.name, f.claim) for f in by_name["pca run"].floors]
    assert ("linear (PCA)", "reference") in [(f.name, f.claim) for f in by_name["mlp run"].floors]
    assert by_name["bce run"].eval_loss is None and by_name["bce run"].gap is None  # never evaluated: no gap
    store.close()


def test_packed_blobs_round_trip_bit_for_bit_and_damage_is_cut_not_raised():
    from aegui.core.store import blobs
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.random(1000), [0.0, -0.0, np.inf, np.nan, 1e-38, 3e38]]).astype(np.float32)
    packed = blobs.pack(values)
    assert len(packed) < 4 * len(values)
    np.testing.assert_array_equal(blobs.floats([(packed, blobs.SHUFFLED_ZLIB)]).view(np.uint32), values.view(np.uint32))
    assert len(blobs.floats([(packed[:20], blobs.SHUFFLED_ZLIB), (blobs.blob(values[:3]), None)])) == 3
