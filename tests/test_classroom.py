"""A class the teacher leads: the class files (lstm_core.storage.classroom), the teacher key's slowing down
of guesses, and one server's teacher tab with three students' tabs (AppTest): join by code, a view shown
(banner, or followed), pause and resume, pacing of the lessons, a view sent to the teacher and shown."""

import pytest

from helpers_apptest import app_test
from lstm_core.storage import classroom, teacher_key
from ui.classroom.picture import PICTURE_CHARS

KEY = "owl-2026"


# ---------------------------------------------------------------- the class files


def test_a_class_is_shown_views_in_order_and_ends_with_its_records(tmp_path):
    code = classroom.start(tmp_path)
    assert classroom.valid_code(code) and classroom.state(tmp_path, code).shown is None
    first = classroom.show(tmp_path, code, "gates", {"unit": "42"})
    second = classroom.show(tmp_path, code, "sample", {"t": "1.5"})
    assert (first.shown.number, second.shown.number) == (1, 2)
    assert classroom.state(tmp_path, code).shown == classroom.Shown("sample", {"t": "1.5"}, 2)
    assert classroom.pause(tmp_path, code, True).paused and classroom.pace(tmp_path, code, 2).lessons_up_to == 2
    student = classroom.join(tmp_path, code, "")
    assert student.name == "" and student.animal in classroom.ANIMALS and 10 <= student.number < 100
    assert classroom.send(tmp_path, code, student.id, "gates", {"unit": "7"})
    assert [s.params for s in classroom.snapshots(tmp_path, code)] == [{"unit": "7"}]
    classroom.end(tmp_path, code)
    assert classroom.state(tmp_path, code) is None and not (tmp_path / code).exists()
    with pytest.raises(LookupError):
        classroom.join(tmp_path, code, "late")


def test_a_class_whose_time_is_up_is_gone(tmp_path):
    code = classroom.start(tmp_path, hours=-1)
    assert classroom.state(tmp_path, code) is None and not (tmp_path / code).exists()


def test_a_damaged_class_file_is_no_class(tmp_path):
    code = classroom.start(tmp_path)
    for damaged in ("{", "[]", '{"ends": "soon"}', '{"ends": 9e99, "shown": {"page": "gates"}}'):
        (tmp_path / code / "class.json").write_text(damaged)
        assert classroom.state(tmp_path, code) is None


def test_names_are_plain_short_text_and_codes_are_typed_loosely(tmp_path):
    assert classroom.clean_name("  <b>Ann</b>\n\t\x00" + "x" * 50) == ("<b>Ann</b> " + "x" * 50)[:classroom.NAME_MAX]
    assert classroom.normalised(" k7m-2pq ") == "K7M2PQ"
    assert not classroom.valid_code("../etc") and classroom.state(tmp_path, "../etc") is None
    with pytest.raises(ValueError):
        classroom.join(tmp_path, "../../x", "Ann")


def test_wrong_keys_in_a_row_wait_longer_and_the_right_one_resets(monkeypatch):
    waits = []
    monkeypatch.setattr(teacher_key, "sleep", waits.append)
    monkeypatch.setattr(teacher_key, "_wrong_in_a_row", 0)
    assert not teacher_key.matches("guess", KEY) and not teacher_key.matches("guess2", KEY)
    assert not teacher_key.matches("guess3", KEY)
    assert waits == [teacher_key.FIRST_WAIT_S, 2 * teacher_key.FIRST_WAIT_S]
    assert teacher_key.matches(KEY, KEY) and teacher_key._wait_s() == 0
    assert not teacher_key.matches(KEY, None) and not teacher_key.matches(None, KEY)


# ---------------------------------------------------------------- a teacher and three students


@pytest.fixture
def server(lab_env, tmp_path, monkeypatch):
    lab_env("LSTM_LAB_DATA_DIR", str(tmp_path / "data"))
    lab_env("LSTM_LAB_TEACHER_KEY", KEY)
    monkeypatch.setattr(teacher_key, "_wrong_in_a_row", 0)  # a tab's first wrong key waits nothing
    return tmp_path / "data" / "classes"


def _tab():
    at = app_test()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def _join(code: str, name: str, follow: bool):
    at = _tab()
    at.sidebar.text_input(key="class_code_typed").set_value(code.lower()).run()
    at.sidebar.text_input(key="class_name_typed").set_value(name).run()
    _ok(at.sidebar.button(key="class_join").click().run())
    if not follow:
        _ok(at.sidebar.toggle(key="class_follow").set_value(False).run())
    return at


def _title(at) -> str:
    return at.title[0].value if at.title else ""


def test_a_teacher_leads_three_students(server):
    teacher = _tab()
    _ok(teacher.sidebar.text_input(key="teacher_key").set_value(KEY).run())
    _ok(teacher.sidebar.button(key="class_start").click().run())
    code = teacher.session_state["class_teaching"]

    ann, bo = _join(code, "Ann", follow=True), _join(code, "Bo", follow=False)
    anon = _join(code, "", follow=True)
    assert any(f"In class **{code}** as Ann." in m.value for m in ann.sidebar.markdown)
    assert len(classroom.students(server, code)) == 3

    # The teacher shows Gates at unit 42: followers are taken there, the other is offered it.
    teacher.switch_page("pages/gates.py").run()
    _ok(teacher.number_input(key="gates_unit").set_value(42).run())
    _ok(teacher.sidebar.button(key="class_show").click().run())
    for follower in (ann, anon):
        _ok(follower.run())
        assert _title(follower) == "Gates" and follower.number_input(key="gates_unit").value == 42
    _ok(bo.run())
    assert _title(bo) == "LSTM Lab"
    assert any("Your teacher is showing: **Gates:" in m.value and "unit 42" in m.value for m in bo.markdown)
    _ok(bo.button(key="class_open_shown").click().run())
    assert _title(bo) == "Gates" and bo.number_input(key="gates_unit").value == 42

    # The Class page: one row per student, the anonymous one named by an animal and a number.
    teacher.switch_page("pages/class.py").run()
    _ok(teacher)
    rows = teacher.dataframe[0].value
    names = set(rows[rows.columns[0]])
    assert {"Ann", "Bo"} <= names and len(names) == 3
    assert set(rows[rows.columns[1]]) == {"Gates"}

    # Pause: every student's page gives way; resume brings it back.
    _ok(teacher.toggle(key="class_pause").set_value(True).run())
    _ok(ann.run())
    assert _title(ann) == "Eyes on the teacher" and not ann.number_input
    _ok(teacher.toggle(key="class_pause").set_value(False).run())
    _ok(ann.run())
    assert _title(ann) == "Gates"

    # Pacing: only the first lesson is open.
    _ok(teacher.selectbox(key="class_pace_en").set_value(1).run())
    bo.switch_page("pages/lessons.py").run()
    _ok(bo)
    assert len(bo.radio(key="lessons_current").options) == 1
    assert any("lessons 1 to 1" in c.value for c in bo.caption)

    # A student sends a view; the teacher shows it to the class.
    _ok(anon.number_input(key="gates_unit").set_value(7).run())
    _ok(anon.sidebar.button(key="class_send").click().run())
    _ok(teacher.run())
    snap = classroom.snapshots(server, code)[0]
    assert snap.params.get("unit") == "7"
    # Its picture: the start of the student's text, coloured by unit 7, as the view's link opens it.
    pictures = [h.proto.body for h in teacher.get("html") if "data-pos" in h.proto.body]
    assert len(pictures) == 1 and "unit 7, tanh(c)" in pictures[0]
    assert 0 < pictures[0].count("data-pos=") <= PICTURE_CHARS
    _ok(teacher.button(key=f"class_snap_{snap.file}").click().run())
    _ok(ann.run())
    assert ann.number_input(key="gates_unit").value == 7

    # The class ends: students are told, and keep their own things.
    _ok(teacher.button(key="class_end").click().run())
    _ok(ann.run())
    assert any("The class has ended" in i.value for i in ann.sidebar.info)
    assert "class_joined" not in ann.session_state


def test_a_wrong_key_leads_no_class_and_says_so(server):
    at = _tab()
    _ok(at.sidebar.text_input(key="teacher_key").set_value("guess").run())
    assert not [b for b in at.sidebar.button if b.key == "class_start"]
    assert any("That is not the teacher key" in c.value for c in at.sidebar.caption)
    assert not at.session_state["teacher_key_ok"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in the navigation
        at.switch_page("pages/class.py")
    assert not server.exists()


def test_a_wrong_code_joins_nothing(server):
    at = _tab()
    at.sidebar.text_input(key="class_code_typed").set_value("ZZZZZZ").run()
    _ok(at.sidebar.button(key="class_join").click().run())
    assert any("no class with the code" in e.value for e in at.sidebar.error)
    assert "class_joined" not in at.session_state
