"""The collector's threshold is raised while a stream runs and given back after the last one."""
import gc
import threading

import pytest

from backoffice.collector import THRESHOLD, fewer_collections


@pytest.fixture
def default_threshold():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_raised_inside_and_restored_after(default_threshold):
    with fewer_collections():
        assert gc.get_threshold() == (THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_restored_even_when_the_stream_fails(default_threshold):
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("client gone")
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_streams_restore_only_after_the_last(default_threshold):
    first_in, second_done = threading.Event(), threading.Event()
    seen = {}

    def other_stream():
        with fewer_collections():
            first_in.set()
            second_done.wait(5)
        seen["after_other"] = gc.get_threshold()

    thread = threading.Thread(target=other_stream)
    thread.start()
    first_in.wait(5)
    with fewer_collections():
        second_done.set()
        thread.join(5)
        seen["inside_mine"] = gc.get_threshold()
    assert seen["after_other"] == (THRESHOLD, 10, 10)  # mine still runs
    assert seen["inside_mine"] == (THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_setting_of_the_process_is_kept(default_threshold):
    gc.set_threshold(THRESHOLD * 2, 10, 10)
    with fewer_collections():
        assert gc.get_threshold()[0] == THRESHOLD * 2
    assert gc.get_threshold() == (THRESHOLD * 2, 10, 10)
