"""pytest-run-parallel's markers: a thread_unsafe test runs once even in stress mode."""
import pytest

calls = []


@pytest.mark.thread_unsafe(reason="appends to a module-level list")
def test_runs_once():
    calls.append(1)


@pytest.mark.parallel_threads(1)
def test_it_ran_once():
    assert calls == [1]
