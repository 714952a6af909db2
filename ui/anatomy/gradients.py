"""The Anatomy page's "Vanishing gradients" tab: how much the last state still depends on an input k
steps back, for untrained SimpleRNN, GRU and LSTM layers (with a knob each), for the memory test's
trained networks, and for the active model. All in NumPy: looking here never starts TensorFlow.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from lstm_core.i18n import _
from lstm_core.spec import CELL_NAMES
from lstm_core.teaching import anatomy
from lstm_core.teaching import gradients
from lstm_core.teaching import toy_memory as tm
from ui.anatomy import figures as fa
from ui import models
from ui.anatomy.memory import TOY_CONFIG, sci, toy_view, trained_gradients
from ui.literal import literal

GRADIENT_TEXT = ("To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n"
                 "The slings and arrows of outrageous fortune")
GRADIENT_STEPS = 100


@st.cache_data(show_spinner=False, max_entries=64)
def _untrained_curves(scale: float, forget_bias: float, seed: int = 0) -> dict[str, np.ndarray]:
    """Each cell kind at Keras' initial weights (with the two knobs), on memory-test sequences."""
    cfg = TOY_CONFIG
    x, _ = tm.make_batch(np.random.default_rng([seed, 11]), 16, GRADIENT_STEPS, cfg.symbols, cfg.noise)
    out = {}
    for k, cell in enumerate(gradients.CELLS):
        weights = gradients.keras_default_weights(
            cell, cfg.symbols, cfg.units, np.random.default_rng([seed, k]),
            recurrent_scale=scale if cell == "rnn" else 1.0, forget_bias=forget_bias if cell == "lstm" else 1.0)
        out[cell] = gradients.geometric_mean(gradients.input_gradient_norms([(cell, weights)], x))
    return out


def _per_step(norms: np.ndarray) -> float:
    # Fit over the first 50 steps, where values are still far from the float64 floor.
    return gradients.decay_per_step(norms, start=1, stop=51)


def gradients_tab() -> None:
    st.markdown(
        _("Training changes a weight by how much it changes the loss, and that is passed back through time: "
          "how much does the last hidden state $h_T$ still change when the input $k$ steps back changes? "
          "By the chain rule that is a product of one Jacobian per step:"))
    st.latex(r"\frac{\partial h_T}{\partial x_{T-k}} = \frac{\partial h_T}{\partial h_{T-1}}\cdots"
             r"\frac{\partial h_{T-k+1}}{\partial h_{T-k}}\;\frac{\partial h_{T-k}}{\partial x_{T-k}}")
    st.markdown(
        "- " + _("**SimpleRNN:** each factor is $\\mathrm{diag}(1-h_t^2)\\,U^\\top$: the slope of tanh (at most 1, "
                 "small when a unit is saturated) times the recurrent matrix. Multiply k of them and the product "
                 "shrinks geometrically (or explodes, if U is large): the gradient **vanishes**.") + "\n"
        "- " + _("**LSTM:** the memory follows $c_t = f\\,c_{t-1} + i\\,g$, so along the cell state each factor is "
                 "just $\\mathrm{diag}(f)$: no squashing, no matrix. With forget gates near 1 the gradient passes "
                 "almost unchanged, however far back. (The GRU's update $h_t = z\\,h_{t-1} + \\dots$ does the same "
                 "with z.)"))

    st.subheader(_("Untrained networks, as Keras initialises them"))
    knobs, plot = st.columns([1.25, 3], gap="large")
    with knobs:
        scale = st.slider(_("SimpleRNN: scale of U"), 0.25, 3.0, 1.0, 0.25, key="anatomy_g_scale",
                          help=_("Multiplies the SimpleRNN's recurrent weights (Keras starts them orthogonal: "
                                 "scale 1)."))
        bias = st.slider(_("LSTM: forget-gate bias"), -2.0, 8.0, 1.0, 0.5, key="anatomy_g_bias",
                         help=_("Keras starts it at 1, so f ≈ σ(1) ≈ 0.73; larger values start f nearer 1."))
        curves = _untrained_curves(float(scale), float(bias))
        rates = {c: _per_step(curves[c]) for c in gradients.CELLS}
        st.markdown(_("**Per step back, the gradient is multiplied by**"))
        st.markdown("\n".join(f"- {fa.CELL_LABELS[c]}: **× {rates[c]:.2f}**" for c in gradients.CELLS),
                    help=_("A straight-line fit over the first 50 steps on the log scale: below 1 the gradient "
                           "vanishes, above 1 it explodes."))
    with plot:
        fig = fa.gradient_figure([fa.Curve(fa.CELL_LABELS[c], curves[c], cell=c) for c in gradients.CELLS])
        st.plotly_chart(fig, config={"displayModeBar": False}, key="anatomy_g_untrained")
    st.caption(
        _("Each curve is the typical size (geometric mean over 16 sequences) of $\\partial h_T/\\partial x_{{T-k}}$ "
          "for a layer of {units} units reading the memory test's sequences (a letter, then loud noise): "
          "{symbols} inputs per step, Keras' initial weights. A straight falling line on this log scale is "
          "a gradient that shrinks by the same factor every step.").format(units=TOY_CONFIG.units,
                                                                          symbols=TOY_CONFIG.symbols))
    st.markdown(_untrained_story(rates, scale, bias))

    st.subheader(_("After training on the memory test"))
    view = toy_view(start=False)
    if view is not None and view.history and view.latest:
        trained_gradients(view, key="anatomy_g_trained_3")
    else:
        st.info(_("The **Memory test** tab trains a SimpleRNN, a GRU and an LSTM to remember a letter across 100 "
                  "steps of noise; afterwards their gradient curves appear here too."), icon=":material/school:")

    st.subheader(_("The active model"))
    _active_gradients()


def _untrained_story(rates: dict, scale: float, bias: float) -> str:
    rnn_rate, lstm_rate = rates["rnn"], rates["lstm"]
    parts = []
    if rnn_rate < 1:
        parts.append(_("The SimpleRNN's gradient is multiplied by about {rate:.2f} per step: after 20 steps it is "
                       "{left} of its size, so an input 20 steps back barely moves its weights.").format(
            rate=rnn_rate, left=sci(rnn_rate ** 20)))
    else:
        parts.append(_("With U scaled by {scale:g} the SimpleRNN's gradient **explodes** (× {rate:.2f} per step): "
                       "training becomes unstable instead.").format(scale=scale, rate=rnn_rate))
    f = float(anatomy.sigmoid(bias))
    if lstm_rate >= 0.95:
        parts.append(_("With a forget-gate bias of {bias:g} (f ≈ {f:.2f}) the LSTM's "
                       "gradient hardly shrinks: the cell state carries it back.").format(bias=bias, f=f))
    else:
        parts.append(_("Untrained, the LSTM forgets too (f ≈ {f:.2f}, × {rate:.2f} per step); "
                       "raise its forget-gate bias and its curve flattens. Training can learn exactly that, while "
                       "a SimpleRNN has no such knob: only U, which also mixes everything at every step.").format(
            f=f, rate=lstm_rate))
    return " ".join(parts)


def _active_gradients() -> None:
    entry = models.active()
    if entry is None or entry.model is None:
        st.info(_("There is no active model to measure."))
        return
    net, vocab = entry.model.net, entry.model.vocab
    if net.bidirectional:
        st.info(_("The active model reads the text in both directions, so its last state depends on both ends; "
                  "this curve is drawn for left-to-right models only."))
        return
    text = GRADIENT_TEXT[:GRADIENT_STEPS + 1]
    cache = st.session_state.setdefault("anatomy_g_active_cache", {})
    key = (entry.key, id(net))
    if cache.get("key") != key or cache.get("net") is not net:
        norms = gradients.network_gradient_norms(net, vocab.encode(text).ids)
        cache.update(key=key, net=net, norms=norms)
    norms = cache["norms"]
    spec = net.layers[-1]
    cell = spec.cell
    left, right = st.columns([3, 2], gap="large")
    with left:
        fig = fa.gradient_figure([fa.Curve(f"{entry.model.label}", norms, cell=cell)], height=360,
                                 x_title=_("k: characters back from the last one"))
        st.plotly_chart(fig, config={"displayModeBar": False}, key="anatomy_g_active")
    with right:
        rate = _per_step(norms)
        st.metric(_("Per character back"), f"× {rate:.2f}")
        if len(net.layers) > 1:
            words = _("How much the last layer of **{model}** ({cell}, {units} units) still depends on each of the "
                      "last {count} characters of Hamlet's line (on their embeddings), through all its layers.")
        else:
            words = _("How much the last layer of **{model}** ({cell}, {units} units) still depends on each of the "
                      "last {count} characters of Hamlet's line (on their embeddings).")
        words = words.format(model=literal(entry.model.label), cell=CELL_NAMES[cell], units=spec.units,
                             count=len(text))
        if not gradients.exact(net):
            words += " " + _("Estimated from 64 random directions: the layer is large.")
        st.markdown(words)
        st.caption(_("A character model trained on text mostly needs the last few characters, and its curve shows "
                     "it; what the gates allow is keeping a gradient alive when the task needs it, as the memory test "
                     "shows."))
