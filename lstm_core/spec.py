"""The shape of a character language model: what the user picks on the Train page."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from lstm_core.i18n import _

CELLS = ("lstm", "gru", "rnn")
CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}
MAX_LAYERS = 3
MAX_UNITS = 1024
MAX_EMBED = 512


class SpecError(ValueError):
    """Hyperparameters that do not describe a model we can build."""


@dataclass(frozen=True)
class ModelSpec:
    vocab_size: int
    cell: str = "lstm"
    layers: int = 1
    units: int = 256
    embed_dim: int = 32
    dropout: float = 0.0

    def __post_init__(self):
        if self.cell not in CELLS:
            raise SpecError(_("cell must be one of {cells}, not {cell!r}").format(cells=", ".join(CELLS), cell=self.cell))
        for name, value, high in (("layers", self.layers, MAX_LAYERS), ("units", self.units, MAX_UNITS),
                                  ("embed_dim", self.embed_dim, MAX_EMBED)):
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= high:
                raise SpecError(_("{name} must be a whole number from 1 to {high}, not {value!r}").format(
                    name=name, high=high, value=value))
        if not isinstance(self.vocab_size, int) or self.vocab_size < 2:
            raise SpecError(_("the vocabulary needs at least one character besides the unknown slot"))
        if not 0.0 <= float(self.dropout) < 1.0:
            raise SpecError(_("dropout must be at least 0 and below 1, not {dropout!r}").format(dropout=self.dropout))

    @property
    def cell_name(self) -> str:
        return CELL_NAMES[self.cell]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelSpec:
        known = {k: data[k] for k in ("vocab_size", "cell", "layers", "units", "embed_dim", "dropout") if k in data}
        try:
            return cls(**known)
        except TypeError as exc:
            raise SpecError(_("incomplete model description: {error}").format(error=exc)) from None
