"""Ranking: by the validation metric (ties: validation loss), never by the test metric."""
from __future__ import annotations

from nnplug.cli.sweep.report import best, ranked, summary


def rec(i, val, test, *, metric="accuracy", status="ok", val_loss=0.1):
    return {"id": f"t{i}", "params": {"lr": i / 10}, "status": status, "metric": metric,
            "val_metric": val, "val_loss": val_loss, "test_metric": test, "epochs_run": 3,
            "seconds": 0.1, "error": None if status == "ok" else "boom"}


def ids(records):
    return [r["id"] for r in records]


def test_ranked_by_validation_accuracy_not_by_test():
    records = [rec(1, 0.90, 0.99), rec(2, 0.95, 0.80), rec(3, 0.93, 0.95)]
    assert ids(ranked(records)) == ["t2", "t3", "t1"]
    assert best(records)["id"] == "t2"  # the best test score (t1) is not chosen


def test_rmse_ranks_lower_first():
    records = [rec(1, 0.7, 0.5, metric="rmse"), rec(2, 0.5, 0.9, metric="rmse")]
    assert ids(ranked(records)) == ["t2", "t1"]


def test_ties_go_to_the_lower_validation_loss_then_the_grid_order():
    records = [rec(1, 1.0, 0.9, val_loss=0.3), rec(2, 1.0, 0.9, val_loss=0.1),
               rec(3, 1.0, 0.9, val_loss=0.3)]
    assert ids(ranked(records)) == ["t2", "t1", "t3"]


def test_failed_lost_and_unvalidated_trials_come_last_and_are_never_best():
    records = [rec(1, None, None, status="failed"), rec(2, None, 0.99),
               rec(3, 0.5, 0.5), rec(4, None, None, status="lost")]
    assert ids(ranked(records)) == ["t3", "t2", "t1", "t4"]
    assert best(records)["id"] == "t3"
    assert best([records[0], records[1], records[3]]) is None


def test_the_summary_table_and_the_best_command():
    records = [rec(1, 0.90, 0.99), rec(2, 0.95, 0.80), rec(3, None, None, status="failed")]
    lines = summary(records, ["lr"], "nnplug train --lr 0.2")
    assert "ranked by validation accuracy" in lines[0] and "never used to rank" in lines[0]
    head, *rows = lines[1:5]
    assert head.split() == ["rank", "id", "lr", "val_accuracy", "test_accuracy", "epochs",
                            "seconds", "status"]
    assert [r.split()[:2] for r in rows] == [["1", "t2"], ["2", "t1"], ["-", "t3"]]
    assert rows[2].endswith("failed: boom")
    assert lines[-2:] == ["best: trial t2 (lr=0.2): val_accuracy 0.9500",
                          "  nnplug train --lr 0.2"]
