"""A process the server spawns (a training, a memory test) never runs the server's __main__ first: in a
Streamlit server that is whichever page script ran last, in any session's thread."""

import multiprocessing
import sys
import types

import lstm_core.training.launcher  # noqa: F401  (installs the rule for every spawned process)


def _nothing() -> None:
    pass


def test_a_spawned_child_does_not_run_the_parents_main_script(tmp_path, monkeypatch):
    marker = tmp_path / "ran.txt"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('the page ran')\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)  # as Streamlit leaves it after a page's run
    child = multiprocessing.get_context("spawn").Process(target=_nothing)
    child.start()
    child.join(60)
    assert child.exitcode == 0 and not marker.exists()
