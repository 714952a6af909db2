"""Written text as the Sample page shows it: the prime in grey, then what the model wrote, in a
monospaced box (several side by side when settings or cells are compared)."""

from __future__ import annotations

import html

from . import figures_sampling as figs

PRIME_SHOWN = 300  # characters of a long prime shown before the generated text
MONO = "'Source Code Pro', ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
BOX = ("font-family:{mono};font-size:{size};line-height:1.55;white-space:pre-wrap;overflow-wrap:anywhere;"
       "background:#f7f8fb;color:#1d2330;border:1px solid #d9dee8;border-radius:0.5rem;padding:0.75rem 1rem;"
       "margin:0;max-height:{height};overflow-y:auto;")
PRIME_STYLE = "color:#5b6473;background:#e3e8f3;border-radius:3px;"
CURSOR = f"<span style='color:{figs.DRAWN_USED_COLOUR}'>▌</span>"


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def visible(text: str) -> str:
    """A text on one line: line breaks as ⏎ (muted), other invisible characters named."""
    out = []
    for ch in text:
        if ch == "\n":
            out.append("<span style='color:#9aa3b2'>⏎</span>")
        elif ch == " " or ch.isprintable():
            out.append(esc(ch))
        else:
            out.append(esc(figs.display_char(ch)))
    return "".join(out)


def box(prime: str, text: str, size: str = "1.05rem", height: str = "30rem", cursor: bool = False,
        css_class: str = "sample-output") -> str:
    shown = prime[-PRIME_SHOWN:]
    lead = "…" if len(prime) > PRIME_SHOWN else ""
    prime_html = f"<span style='{PRIME_STYLE}'>{esc(lead + shown)}</span>" if prime else ""
    # HTML drops a line break directly after <pre> (and the sanitiser parses twice), so the text,
    # which may well start with one, goes inside a span.
    return (f"<pre class=\"{css_class}\" style=\"{BOX.format(mono=MONO, size=size, height=height)}\">"
            f"{prime_html}<span>{esc(text)}</span>{CURSOR if cursor else ''}</pre>")
