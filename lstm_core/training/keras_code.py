"""The Keras code a person would write for the Train page's settings, and the textbook's recipe beside
it, as text to read (and to run: tests execute both and compare the parameter counts with the app's).

The app trains what `keras_model.build_char_model` builds, in a loop of its own (stoppable, with a
time limit); this is the same network and the same objective in plain Keras.
"""

from __future__ import annotations

from lstm_core.spec import ModelSpec
from lstm_core.training.keras_model import RNN_CLASSES

TEXTBOOK_WINDOW = 40  # the textbooks' window, one target after it


def keras_code(spec: ModelSpec, seq_len: int, batch_size: int, learning_rate: float, clipnorm: float = 1.0,
               precision: str = "float32") -> str:
    """The model and its training on windows of `seq_len` characters, every position predicting the next,
    computing in `precision` ("float32", or "bfloat16" as the app trains where the CPU has it natively)."""
    cell = RNN_CLASSES[spec.cell]
    layers = []
    for _i in range(spec.layers):
        layers.append(f"    keras.layers.{cell}({spec.units}, return_sequences=True),")
        if spec.dropout > 0:
            layers.append(f"    keras.layers.Dropout({spec.dropout:g}),")
    body = "\n".join(layers)
    policy = ""
    if precision == "bfloat16":
        policy = ('\n# Products in bfloat16 (this processor multiplies them natively), weights in float32.\n'
                  'keras.mixed_precision.set_global_policy("mixed_bfloat16")\n')
    output = ', dtype="float32"' if precision == "bfloat16" else ""  # the softmax stays float32
    return f'''import keras
import numpy as np
{policy}
V = {spec.vocab_size}  # the characters of the text, and id 0 for one never seen
model = keras.Sequential([
    keras.Input((None,), dtype="int32"),
    keras.layers.Embedding(V, {spec.embed_dim}),
{body}
    keras.layers.Dense(V, activation="softmax"{output}),  # a prediction after every character
])
model.compile(optimizer=keras.optimizers.Adam({learning_rate:g}, clipnorm={clipnorm:g}),
              loss="sparse_categorical_crossentropy")

# ids: the text as character ids. Each window of {seq_len} characters is paired with the same window
# shifted by one: every position learns to predict the character after it.
def windows(ids, batch_size={batch_size}, length={seq_len}):
    while True:
        starts = np.random.randint(0, len(ids) - length - 1, batch_size)
        x = np.stack([ids[s:s + length] for s in starts])
        y = np.stack([ids[s + 1:s + length + 1] for s in starts])
        yield x, y

# model.fit(windows(ids), steps_per_epoch=100, epochs=10)
'''


def textbook_code(vocab_size: int) -> str:
    """The textbooks' recipe: one-hot windows of 40 characters, one target (the 41st) per window."""
    chars = vocab_size - 1  # no unknown slot: the textbook's vocabulary is sorted(set(text))
    return f'''import keras
import numpy as np

chars = {chars}  # len(sorted(set(text)))
maxlen = {TEXTBOOK_WINDOW}
model = keras.Sequential([
    keras.Input((maxlen, chars)),  # one-hot: each character is {chars} numbers, one of them 1
    keras.layers.LSTM(128),  # only its last output is used
    keras.layers.Dense(chars),
    keras.layers.Activation("softmax"),  # one prediction per window: the next character
])
model.compile(optimizer=keras.optimizers.RMSprop(0.01), loss="categorical_crossentropy")

# x[i]: the one-hot characters text[s:s + maxlen] of a window starting every 3 characters;
# y[i]: the one character after it.
# model.fit(x, y, batch_size=128, epochs=60)
'''
