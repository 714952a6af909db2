"""One Streamlit session driven over the app's own websocket, with the messages the browser sends.

The front end of a Streamlit app is a websocket (`/_stcore/stream`) carrying protobuf messages: the
browser sends a `BackMsg` asking for a run (with the page, the address's query string and the value
of every widget), and the server answers with the run's elements (`ForwardMsg` deltas) and then
`script_finished`. A `WireSession` does what the browser does with them, without drawing anything,
so a bench can put thirty sessions on one two-core server and measure the server, not thirty
browsers: widgets are found by their label, set, and the run is timed from the message sent to the
run's end. The browser's drawing time is not included (see bench_class_load.py's report).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.sync.client import connect

FINISHED = ForwardMsg.ScriptFinishedStatus
# Element kinds whose proto has a `label` and an `id`: what a person can change.
WIDGETS = ("text_area", "text_input", "number_input", "slider", "selectbox", "radio", "checkbox",
           "button", "button_group")


@dataclass(frozen=True)
class FragmentRun:
    """A fragment's rerun asked for by `wait`: the seconds to its end and whether it became a run of
    the whole page (st.switch_page or st.rerun(scope="app") in the fragment: the page's messages
    follow), and on another page."""
    fragment: str
    seconds: float
    whole_page: bool
    page_changed: bool


class WireError(RuntimeError):
    """The run did not end in time, the server closed the socket, or a widget is not on the page."""


@dataclass
class Run:
    """The elements one script run drew, by their place on the page (the delta path), and the
    messages that carried them."""
    elements: dict[tuple, object] = field(default_factory=dict)
    raw: dict[tuple, bytes] = field(default_factory=dict)
    fragment_of: dict[tuple, str] = field(default_factory=dict)  # the fragment that drew it, if one did

    def forget_stale(self, fragment: str, drawn: set[tuple]) -> None:
        """After a fragment's run, as the browser does: its elements not drawn again are gone."""
        for path in [p for p, f in self.fragment_of.items() if f == fragment and p not in drawn]:
            del self.elements[path], self.raw[path], self.fragment_of[path]

    def widgets(self) -> list[tuple[str, object]]:
        found = []
        for element in self.elements.values():
            kind = element.WhichOneof("type")
            if kind in WIDGETS:
                found.append((kind, getattr(element, kind)))
        return found

    def exceptions(self) -> list[str]:
        return [f"{e.exception.type}: {e.exception.message}" for e in self.elements.values()
                if e.WhichOneof("type") == "exception"]

    def text(self) -> str:
        """Everything the page shows as text, figures and widget values included (and more): the
        messages as received, where protobuf keeps every string as it is, in UTF-8."""
        return b"\n".join(self.raw.values()).decode("utf-8", errors="replace")


class WireSession:
    """A browser tab, minus the drawing: one websocket, one Streamlit session."""

    def __init__(self, base: str, timeout: float = 60.0):
        self.timeout = timeout
        ws_url = base.replace("http://", "ws://", 1) + "/_stcore/stream"
        # The browser passes "streamlit" as the websocket's subprotocol (its other entries carry
        # tokens this app does not use); the Origin header is the app's own, as in a browser.
        self.socket = connect(ws_url, subprotocols=["streamlit"], origin=base, max_size=None,
                              open_timeout=timeout)
        self.query = ""
        self.pages: dict[str, str] = {}  # page title -> page script hash, from the navigation message
        self.page_hash = ""
        self.values: dict[str, WidgetState] = {}  # what the browser would send: each widget's value
        self.run = Run()
        # Fragments that rerun by themselves (st.fragment(run_every=…)): their id -> seconds between
        # runs, and when each is next due (time.monotonic()).
        self.timers: dict[str, float] = {}
        self.due: dict[str, float] = {}
        # The last run asked for began again (st.rerun, st.switch_page: a class's view followed);
        # and, when it was a fragment's, ended as the whole page's.
        self.restarted = False
        self.whole_page = False

    def close(self) -> None:
        self.socket.close()

    # -- what a person does -------------------------------------------------------------------
    def open(self, query: str = "") -> float:
        """The first visit, as a browser opening the app's address (with its query string)."""
        self.query = query
        return self._rerun()

    def go(self, title: str) -> float:
        """A click on the page's link in the sidebar's navigation."""
        if title not in self.pages:
            raise WireError(f"no page titled {title!r} (pages: {', '.join(self.pages)})")
        self.page_hash = self.pages[title]
        return self._rerun()

    def set(self, label: str, value) -> float:
        """Change the widget labelled `label` (its first match, or the first whose label starts so
        when `label` ends with "…") to `value`, and wait for the run that follows."""
        kind, proto = self.widget(label)
        state = WidgetState(id=proto.id)
        if kind in ("text_area", "text_input", "selectbox", "radio"):
            state.string_value = str(value)
        elif kind == "number_input":
            state.double_value = float(value)
        elif kind == "checkbox":
            state.bool_value = bool(value)
        elif kind == "slider" and proto.options:  # a select slider: its options' shown strings
            state.string_array_value.data[:] = [str(value)]
        elif kind == "slider":
            state.double_array_value.data[:] = [float(value)]
        elif kind == "button_group":
            state.string_array_value.data[:] = [str(value)]
        else:
            raise WireError(f"cannot set a {kind} ({label!r})")
        self.values[proto.id] = state
        return self._rerun()

    def click(self, label: str) -> float:
        _, proto = self.widget(label)
        return self._rerun(trigger=WidgetState(id=proto.id, trigger_value=True))

    def wait(self, seconds: float) -> list[FragmentRun]:
        """Stay on the page for `seconds`, as an open tab does: the fragments that rerun by
        themselves are asked to, each at its interval (a live chart, a training's progress, a class's
        check for the teacher's view). Returns those runs, in order."""
        until = time.monotonic() + seconds
        runs: list[FragmentRun] = []
        while True:
            if not self.due:
                time.sleep(max(0.0, until - time.monotonic()))
                return runs
            fragment, at = min(self.due.items(), key=lambda kv: kv[1])
            if at > until:
                time.sleep(max(0.0, until - time.monotonic()))
                return runs
            time.sleep(max(0.0, at - time.monotonic()))
            page = self.page_hash
            elapsed = self._rerun(fragment=fragment)
            runs.append(FragmentRun(fragment, elapsed, self.whole_page, self.page_hash != page))
            if fragment in self.timers:
                self.due[fragment] = time.monotonic() + self.timers[fragment]

    def options(self, label: str) -> list[str]:
        """The choices of a selectbox or radio, as shown."""
        _, proto = self.widget(label)
        return list(proto.options)

    def widget(self, label: str):
        prefix = label.endswith("…")
        for kind, proto in self.run.widgets():
            if proto.label == label or (prefix and proto.label.startswith(label[:-1])):
                return kind, proto
        raise WireError(f"no widget labelled {label!r} on the page")

    # -- the protocol -------------------------------------------------------------------------
    def _rerun(self, trigger: WidgetState | None = None, fragment: str = "") -> float:
        """Ask for a run (of the whole page, or of one fragment) with every widget's value (and a
        button's one-time trigger); wait for its end. Returns the seconds from the message sent to
        the run's end."""
        msg = BackMsg()
        client = msg.rerun_script
        client.query_string = self.query
        client.page_script_hash = self.page_hash
        client.fragment_id = fragment
        client.is_auto_rerun = bool(fragment)
        client.widget_states.widgets.extend([*self.values.values(), *([trigger] if trigger else [])])
        started = time.monotonic()
        self.socket.send(msg.SerializeToString())
        self._read_until_finished(started + self.timeout, fragment)
        return time.monotonic() - started

    def _read_until_finished(self, deadline: float, fragment: str = "") -> None:
        """Read the run's messages up to its end. A whole run draws the page afresh; a fragment's
        run redraws only the fragment's elements, at their places."""
        if not fragment:
            self.run = Run()
            self.timers, self.due = {}, {}
        self.restarted = self.whole_page = False
        drawn: set[tuple] = set()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WireError(f"the run did not end within {self.timeout:g} s")
            try:
                raw = self.socket.recv(timeout=left)
            except TimeoutError:
                raise WireError(f"the run did not end within {self.timeout:g} s") from None
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                path = tuple(fwd.metadata.delta_path)
                self.run.elements[path], self.run.raw[path] = fwd.delta.new_element, raw
                self.run.fragment_of[path] = fwd.delta.fragment_id
                drawn.add(path)
                self._take_set_value(fwd.delta.new_element)
            elif kind == "navigation":
                self.pages = {p.page_name: p.page_script_hash for p in fwd.navigation.app_pages}
                self.page_hash = fwd.navigation.page_script_hash
            elif kind == "new_session" and not self.pages:
                self.pages = {p.page_name: p.page_script_hash for p in fwd.new_session.app_pages}
            elif kind == "page_info_changed":
                self.query = fwd.page_info_changed.query_string
            elif kind == "auto_rerun":
                every = fwd.auto_rerun.interval
                self.timers[fwd.auto_rerun.fragment_id] = every
                self.due.setdefault(fwd.auto_rerun.fragment_id, time.monotonic() + every)
            elif kind == "stop_auto_rerun":
                for stopped in fwd.stop_auto_rerun.fragment_ids:
                    self.timers.pop(stopped, None)
                    self.due.pop(stopped, None)
            elif kind == "script_finished":
                if fwd.script_finished == FINISHED.FINISHED_EARLY_FOR_RERUN:
                    # st.rerun() or st.switch_page(): the next run draws the page afresh, and the
                    # navigation message says which page (a fragment's run too: its run is then the page's).
                    self.run, self.timers, self.due = Run(), {}, {}
                    self.restarted, self.whole_page = True, self.whole_page or bool(fragment)
                    continue
                if fwd.script_finished == FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                    self.run.forget_stale(fragment, drawn)
                    return
                # As the browser does, forget the values of widgets no longer on the page.
                shown = {proto.id for _, proto in self.run.widgets()}
                self.values = {k: v for k, v in self.values.items() if k in shown}
                return

    def _take_set_value(self, element) -> None:
        """A widget whose value the script set (session state, as a view the teacher shows does):
        the browser then shows that value and sends it from then on, so the one this session had
        sent before is forgotten (the server keeps the script's)."""
        kind = element.WhichOneof("type")
        if kind in WIDGETS:
            proto = getattr(element, kind)
            if "set_value" in proto.DESCRIPTOR.fields_by_name and proto.set_value:
                self.values.pop(proto.id, None)
