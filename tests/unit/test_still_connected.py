"""The question a crawl asks before every call: is the account still connected? Each answer comes
from a read that started after the question; questions asked together share a read."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from skylight.logic.crawls import StillConnected


class Table:
    """The account's status as reads see it; each read takes a while and is counted."""

    def __init__(self, takes_s: float = 0.02) -> None:
        self.takes_s = takes_s
        self.connected = True
        self.reads = 0
        self.started: list[float] = []
        self._lock = threading.Lock()

    def read(self) -> bool:
        with self._lock:
            self.reads += 1
            self.started.append(time.monotonic())
        seen = self.connected
        time.sleep(self.takes_s)
        return seen


def test_a_disconnect_before_the_question_is_always_seen():
    table = Table()
    check = StillConnected(table.read)
    assert check.gone() is False

    table.connected = False  # the disconnect committed

    assert check.gone() is True  # a read started after the question: never the earlier answer


def test_a_read_under_way_when_the_question_came_is_not_enough():
    table = Table()
    check = StillConnected(table.read)
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(check.gone)
        time.sleep(0.005)  # the first read is under way, and saw the account connected...
        table.connected = False  # ...when the disconnect commits
        second = pool.submit(check.gone)
        assert (first.result(), second.result()) == (False, True)
    assert table.reads == 2


def test_questions_asked_together_share_one_read():
    table = Table(takes_s=0.2)  # far longer than the threads take to ask, however busy the machine
    check = StillConnected(table.read)
    together = threading.Barrier(16)

    def ask(_: int) -> bool:
        together.wait()
        return check.gone()

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(ask, range(16)))

    assert answers == [False] * 16
    assert table.reads <= 2  # one under way when they asked, at most one more for all of them


def test_gone_stays_gone_without_reading_again():
    table = Table()
    table.connected = False
    check = StillConnected(table.read)
    assert check.gone() is True
    table.connected = True  # a restore: this crawl was stopped for good all the same

    assert check.gone() is True
    assert table.reads == 1


def test_a_read_that_fails_stops_that_call_and_the_next_question_reads_again():
    answers = iter([RuntimeError("the table is throttling"), True])

    def read() -> bool:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    check = StillConnected(read)

    assert check.gone() is True  # nothing proves it is still connected: the call is not made
    assert check.gone() is False
