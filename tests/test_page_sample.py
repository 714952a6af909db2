"""The Sample page in Streamlit's AppTest: it writes, it is reproducible, it explains, it never breaks.

The page reads the pretrained default model; these tests do not depend on what exactly it writes.
"""

import html
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from helpers_apptest import app_test, RUN_TIMEOUT_S
from lstm_core.storage.persistence import DEFAULT_MODEL

ANIMATION_S = 0.8  # pages/sample.py's typewriter

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/sample.py"

pytestmark = pytest.mark.skipif(not (DEFAULT_MODEL / "model.keras").is_file(),
                                reason="the pretrained model is missing (make assets)")


def open_sample() -> AppTest:
    at = app_test()
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def at() -> AppTest:
    return open_sample()


def result(at: AppTest):
    return at.session_state["sample_result"]


def text(at: AppTest) -> str:
    return result(at).generation.text


def generate(at: AppTest, **widgets) -> AppTest:
    """Set widgets by their key (without the sample_ prefix), click Generate, check for exceptions."""
    for name, value in widgets.items():
        key = f"sample_{name}"
        for kind in ("text_area", "number_input", "select_slider", "slider", "toggle"):
            found = [w for w in getattr(at, kind) if w.key == key]
            if found:
                found[0].set_value(value)
                break
        else:
            raise KeyError(key)
    at.button(key="sample_generate").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def boxes(at: AppTest, markup: bool = False) -> list[str]:
    """The text boxes' HTML, without its tags unless `markup` (a typed text comes in pieces)."""
    return [h.value if markup else re.sub(r"<[^>]*>", "", h.value) for h in at.html if h.value.startswith("<pre")]


def test_generate_types_the_text_out_in_the_browser(at):
    assert "lab-typed" not in boxes(at, markup=True)[0]  # opening the page shows the text at once
    generate(at, length=300, seed=4)
    main = boxes(at, markup=True)[0]
    delays = [float(d) for d in re.findall(r"animation-delay:([0-9.]+)s", main)]
    assert len(delays) > 10 and delays == sorted(delays) and delays[0] == 0
    assert delays[-1] < ANIMATION_S
    assert any("@keyframes lab-typed" in h.value for h in at.html)
    assert html.escape(text(at), quote=False) in boxes(at)[0]
    at.slider(key="sample_inspect_step").set_value(5).run()  # any later run shows it whole
    assert "lab-typed" not in boxes(at, markup=True)[0]


def messages(at: AppTest) -> str:
    return "\n".join(m.value for m in [*at.warning, *at.info, *at.error])


def test_page_opens_with_a_text_already_written():
    at = open_sample()
    assert len(text(at)) == 400
    assert at.text_area(key="sample_prime").value == "HAMLET\n"
    assert html.escape(text(at), quote=False) in boxes(at)[0]
    assert not at.error and not at.warning  # no messages on the default settings


@pytest.mark.parametrize("length", [50, 123, 2000])
def test_generate_writes_the_requested_length(at, length):
    generate(at, length=length, seed=3)
    assert len(text(at)) == length
    assert len(result(at).generation.steps) == length
    assert html.escape(text(at), quote=False) in boxes(at)[0]
    assert any(f"{length:,} characters" in c.value for c in at.caption)


def test_the_same_seed_writes_the_same_text(at):
    first = text(generate(at, seed=7, length=200))
    again = text(generate(at, seed=7, length=200))
    other = text(generate(at, seed=8, length=200))
    assert first == again
    assert other != first


def test_temperature_zero_is_deterministic(at):
    generate(at, greedy=True, seed=1, length=150)
    assert at.select_slider(key="sample_temperature").disabled
    first = text(at)
    assert result(at).settings.temperature == 0
    second = text(generate(at, seed=99))
    assert first == second
    assert "greedy" in messages(at).lower()
    # Every character drawn was the likeliest one.
    for step in result(at).generation.steps:
        assert step.probs_used[step.index] == 1.0


def test_three_temperatures_side_by_side(at):
    generate(at, length=200, seed=5)
    res = result(at)
    assert sorted(res.comparison) == [0.2, 0.5, 1.0]
    assert all(len(t) == 200 for t in res.comparison.values())
    headings = [m.value for m in at.markdown if m.value.startswith("**T = ")]
    assert headings == ["**T = 0.2** · cautious", "**T = 0.5** · in between", "**T = 1** · the model’s own odds"]
    shown = boxes(at)
    for t in (0.2, 0.5, 1.0):
        assert any(html.escape(res.comparison[t], quote=False) in b for b in shown[1:])
    assert any("What to notice" in m.value for m in at.markdown)


def test_long_texts_compare_their_first_240_characters(at):
    generate(at, length=1200)
    assert all(len(t) == 240 for t in result(at).comparison.values())
    assert any("first 240 characters" in c.value for c in at.caption)


def test_step_inspector_shows_the_chosen_step(at):
    generate(at, length=100, seed=2, top_k=10, top_p=0.9)
    slider = at.slider(key="sample_inspect_step")
    assert (slider.min, slider.max, slider.value) == (1, 100, 1)
    slider.set_value(37)
    at.run()
    assert not at.exception
    step = result(at).generation.steps[36]
    assert step.char == text(at)[36]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Model’s probability"] == f"{float(step.probs_model[step.index]):.1%}"
    assert metrics["After your settings"] == f"{float(step.probs_used[step.index]):.1%}"
    assert metrics["Uncertainty (entropy)"].endswith("bits")
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    # The context line shows the drawn character highlighted after what came before it.
    context = [h.value for h in at.html if "white-space:pre;" in h.value][0]
    assert "⏎" in context or step.char in context


def test_inspector_never_goes_past_a_shorter_text(at):
    generate(at, length=300)
    at.slider(key="sample_inspect_step").set_value(250)
    at.run()
    generate(at, length=50)
    assert at.slider(key="sample_inspect_step").value == 1
    assert at.slider(key="sample_inspect_step").max == 50


def test_unseen_characters_are_reported_and_generation_still_works(at):
    generate(at, prime="HAMLET ✨ and ü\n", length=80)
    warning = "\n".join(w.value for w in at.warning)
    assert "✨" in warning and "ü" in warning
    assert "still works" in warning
    assert len(text(at)) == 80
    assert set(result(at).generation.unknown_prime_chars) == {"✨", "ü"}


def test_a_huge_prime_is_cut_with_a_message(at):
    huge = ("To be, or not to be, that is the question.\n" * 2400)[:100_000]
    generate(at, prime=huge, length=60)
    assert "100,000" in messages(at) and "2,000" in messages(at)
    assert result(at).prime == huge[-2000:]
    assert len(text(at)) == 60
    # Only the end of the prime is shown before the generated text.
    assert len(boxes(at)[0]) < 5_000


def test_an_empty_prime_starts_from_the_start_state(at):
    generate(at, prime="", length=70)
    assert "empty" in messages(at) and "start state" in messages(at)
    assert len(text(at)) == 70


@pytest.mark.parametrize("settings", [dict(top_p=0.01), dict(top_k=1), dict(greedy=True, top_k=1, top_p=0.01),
                                      dict(temperature=3.0, length=2000), dict(temperature=0.1, top_k=65)])
def test_extreme_settings_give_results_not_exceptions(at, settings):
    generate(at, **{"length": 200, **settings})
    assert len(text(at)) == settings.get("length", 200)
    assert not at.error


def test_tiny_top_p_and_top_k_one_write_like_greedy(at):
    greedy = text(generate(at, greedy=True, length=120))
    at.toggle(key="sample_greedy").set_value(False)
    assert text(generate(at, top_k=1, seed=4)) == greedy
    assert "greedy" in messages(at).lower()
    at.slider(key="sample_top_k").set_value(0)
    assert text(generate(at, top_p=0.01, seed=5)) == greedy


def test_changed_settings_are_pointed_out(at):
    assert not any("changed" in c.value for c in at.caption)
    at.number_input(key="sample_seed").set_value(42)
    at.run()
    assert any("changed" in c.value for c in at.caption)
    assert len(text(at)) == 400  # nothing is rewritten until Generate


def test_the_last_text_survives_a_visit_to_another_page(at):
    generate(at, length=150, seed=11, prime="MACBETH\n")
    before = text(at)
    at.switch_page("pages/home.py")
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert text(at) == before
    assert at.number_input(key="sample_length").value == 150
    assert at.number_input(key="sample_seed").value == 11
    assert at.text_area(key="sample_prime").value == "MACBETH\n"
    assert html.escape(before, quote=False) in boxes(at)[0]


def test_session_state_keys_are_prefixed(at):
    generate(at, length=60)
    ours = {"prime", "length", "temperature", "greedy", "top_k", "top_p", "seed", "result", "inspect_step"}
    for key in ours:
        assert f"sample_{key}" in at.session_state


@pytest.mark.parametrize("through_app", [False, True], ids=["page alone", "through app.py"])
def test_the_page_never_imports_tensorflow(through_app):
    """In a fresh interpreter, run the page (on its own, or as a student reaches it through the
    app's navigation and sidebar), generate and inspect, then look at sys.modules."""
    opening = (f"at = AppTest.from_file('app.py', default_timeout={RUN_TIMEOUT_S}); at.run(); "
               f"at.switch_page({PAGE!r}); at.run()") if through_app else \
        f"at = AppTest.from_file({PAGE!r}, default_timeout={RUN_TIMEOUT_S}); at.run()"
    code = textwrap.dedent(f"""
        import sys
        from streamlit.testing.v1 import AppTest
        {opening}
        assert not at.exception, [e.value for e in at.exception]
        assert len(at.session_state["sample_result"].generation.text) == 400
        at.button(key="sample_generate").click()
        at.slider(key="sample_inspect_step").set_value(5)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
        print("LOADED", loaded)
        assert not loaded, loaded
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "LOADED []" in done.stdout


def test_training_step_chooses_a_snapshot():
    from lstm_core.inference import sampling
    from lstm_core.storage.persistence import load_model_folder
    from helpers_models import random_network
    from ui.models import ModelEntry, Snapshot

    loaded = load_model_folder(DEFAULT_MODEL)
    early = random_network(vocab=loaded.vocab.size, units=16, embed=8, seed=3)
    entry = ModelEntry("trained:test", "Trained here", loaded, [Snapshot(100, early), Snapshot(250, loaded.net)])
    at = app_test()
    at.session_state["models"] = {entry.key: entry}
    at.session_state["active_model"] = entry.key
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    chooser = at.select_slider(key="sample_snapshot_step")
    assert list(chooser.options) == ["100", "250"] and chooser.value == 250  # the latest by default
    expected = sampling.generate(loaded.net, loaded.vocab, "HAMLET\n", 400, 0.8, seed=1).text
    assert text(at) == expected
    chooser.set_value(100)
    generate(at)
    assert result(at).settings.step == 100
    assert text(at) == sampling.generate(early, loaded.vocab, "HAMLET\n", 400, 0.8, seed=1).text
    assert any("training step 100" in c.value for c in at.caption)



def changed_said(at: AppTest) -> bool:
    return any("changed" in c.value for c in at.caption)


def test_nothing_changed_is_never_said_changed(at):
    """The projector switch, and a visit to another page, change no generation setting."""
    generate(at, temperature=1.5)
    assert result(at).settings.temperature == 1.5 and not changed_said(at)
    at.toggle(key="projector").set_value(True).run()
    assert not changed_said(at)
    at.switch_page("pages/home.py")
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert not changed_said(at)
    at.select_slider(key="sample_temperature").set_value(0.5).run()
    assert changed_said(at)  # a real change still is
