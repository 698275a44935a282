"""lheo_data.read_ahead: the feed's next batch is read by a thread while this one is written. What
matters to a partner: the same items in the same order, an error raised to the caller (never a
truncated feed that looks complete), and a client who hangs up stopping the reading (the
database session closed, the thread gone)."""
import threading

import pytest

from backoffice.export.lheo_data import read_ahead


class Tracked:
    """An iterator that records whether it was closed, and by which thread."""

    def __init__(self, items, fail_at=None):
        self.items, self.fail_at = items, fail_at
        self.closed_by = None
        self.produced = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.produced == self.fail_at:
            raise RuntimeError("connexion perdue")
        if self.produced == len(self.items):
            raise StopIteration
        self.produced += 1
        return self.items[self.produced - 1]

    def close(self):
        self.closed_by = threading.current_thread().name


def test_same_items_in_the_same_order_and_the_source_closed_by_its_thread():
    source = Tracked(list(range(50)))
    assert list(read_ahead(source)) == list(range(50))
    assert source.closed_by == "lheo-read-ahead"


def test_an_error_while_reading_is_raised_to_the_consumer_after_the_items_before_it():
    source = Tracked(list(range(10)), fail_at=4)
    seen = []
    with pytest.raises(RuntimeError, match="connexion perdue"):
        for item in read_ahead(source):
            seen.append(item)
    assert seen == [0, 1, 2, 3]
    assert source.closed_by == "lheo-read-ahead"


def test_a_consumer_that_stops_stops_the_thread_one_item_ahead_at_most():
    source = Tracked(list(range(1000)))
    reader = read_ahead(source)
    assert [next(reader), next(reader)] == [0, 1]
    reader.close()  # the client hung up
    assert source.closed_by == "lheo-read-ahead"
    assert source.produced <= 4  # two consumed, one waiting in the queue, one being handed over
    assert not any(t.name == "lheo-read-ahead" for t in threading.enumerate())
