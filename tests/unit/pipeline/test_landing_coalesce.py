"""raw_loader.coalesce: consecutive source batches merged for one transaction without changing what lands."""

from __future__ import annotations

import pytest

from cfm.sources.base import ExtractBatch, RawRecord, RejectedRecord
from cfm.warehouse.raw_loader import coalesce


def _batch(ids: list[str], cursor: dict | None, rejects: int = 0) -> ExtractBatch:
    return ExtractBatch(records=[RawRecord("typeform", "f", i, {"id": i}) for i in ids],
                        rejects=[RejectedRecord("typeform", "f", f"bad{n}", "id", "no id", {}) for n in range(rejects)],
                        cursor=cursor)


def test_batches_merge_up_to_the_row_limit_with_the_last_cursor() -> None:
    batches = [_batch(["a", "b"], {"p": 1}, rejects=1), _batch(["c"], None), _batch(["d", "e"], {"p": 3}),
               _batch(["f"], {"p": 4})]
    out = list(coalesce(batches, max_rows=5))
    assert [n for n, _ in out] == [3, 1]
    first = out[0][1]
    assert [r.source_record_id for r in first.records] == ["a", "b", "c", "d", "e"]
    assert len(first.rejects) == 1 and first.cursor == {"p": 3}
    assert out[1][1].cursor == {"p": 4}


def test_a_batch_ending_without_a_cursor_keeps_the_last_one_given() -> None:
    out = list(coalesce([_batch(["a"], {"p": 1}), _batch(["b"], None)]))
    assert len(out) == 1 and out[0][1].cursor == {"p": 1}
    assert list(coalesce([_batch(["a"], None)]))[0][1].cursor is None


def test_an_id_read_again_in_a_later_batch_starts_a_new_transaction() -> None:
    # In one land_batch the earlier copy would be quarantined as a duplicate; across batches the later one updates it.
    out = list(coalesce([_batch(["a", "b"], {"p": 1}), _batch(["c", "a"], {"p": 2}), _batch(["d"], {"p": 3})]))
    assert [[r.source_record_id for r in b.records] for _, b in out] == [["a", "b"], ["c", "a", "d"]]
    # ids compare as they are stored (sanitised): "x\x00" is stored as "x"
    assert len(list(coalesce([_batch(["x"], None), _batch(["x\x00"], None)]))) == 2


def test_one_batch_over_the_limit_stays_whole() -> None:
    out = list(coalesce([_batch(["a", "b", "c"], {"p": 1}), _batch(["d"], {"p": 2})], max_rows=2))
    assert [n for n, _ in out] == [1, 1] and len(out[0][1].records) == 3


def test_what_was_read_before_the_source_fails_comes_out_first() -> None:
    def failing():
        yield _batch(["a"], {"p": 1})
        yield _batch(["b"], {"p": 2})
        raise RuntimeError("API down")

    got = []
    with pytest.raises(RuntimeError, match="API down"):
        for _, merged in coalesce(failing()):
            got.append(merged)
    assert len(got) == 1 and [r.source_record_id for r in got[0].records] == ["a", "b"] and got[0].cursor == {"p": 2}
