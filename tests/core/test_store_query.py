"""The store orders and filters runs in SQL for the results pane; a damaged row never breaks the listing."""

import pytest

from aegui.core.config.config import with_changes
from aegui.core.floors.floors import Floor
from aegui.core.store.store import RunStore
from aegui.core.store.store_query import sort_sql


@pytest.fixture
def store(tmp_path, tiny):
    s = RunStore(tmp_path / "runs.sqlite")
    for name, loss, data, file in (("a", "mse", "uniform", None), ("b", "bce", "bernoulli", None),
                                   ("c", "mse", "file", "/some/where/mine.csv")):
        cfg = with_changes(tiny, **{"name": name, "loss.kind": loss, "data.kind": data, "data.file": file})
        s.create_run(cfg, device="cpu", floors=[Floor("data", 0.1 * len(name + loss), "lower bound", "test")])
    yield s
    s.close()


def ids(store, *args):
    return [r[0] for r in store.ordered_ids(*args)]


def test_filter_matches_shown_values_not_json_keys(store):
    assert ids(store, "BERNOULLI") == [2]
    assert ids(store, "mine.csv") == [3]
    assert ids(store, "kind") == [] and ids(store, "encoding") == []
    assert ids(store, "#2") == [2]


def test_every_sort_key_orders_and_a_damaged_row_is_still_listed(store):
    with store.db:
        store.db.execute("UPDATE runs SET config='[', floors='{broken' WHERE run_id=2")
    keys = [k for k in ("run_id", "name", "status", "loss", "data", "final_loss", "eval_loss", "data_floor",
                        "model_floor", "optimizer_gap", "gap", "copies", "model", "lr", "batches", "min_epoch_loss",
                        "stop_reason", "seconds", "device", "group_name", "created", "notes")]
    for key in keys:
        assert sort_sql(key)
        for descending in (False, True):
            assert sorted(ids(store, "", key, descending)) == [1, 2, 3], key
    assert ids(store, "mse") == [3, 1]  # the damaged row's config is not searched, and nothing fails
    assert ids(store, "", "data", False)[:2] == [3, 1]  # 'mine.csv ×2' < 'uniform ×2'; the damaged row last
