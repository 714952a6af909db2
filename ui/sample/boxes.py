"""Written text as the Sample page shows it: the prime in grey, then what the model wrote, in a
monospaced box (several side by side when settings or cells are compared)."""

from __future__ import annotations

import html

from ui.sample import figures as figs

PRIME_SHOWN = 300  # characters of a long prime shown before the generated text
MONO = "'Source Code Pro', ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
BOX = ("font-family:{mono};font-size:{size};line-height:1.55;white-space:pre-wrap;overflow-wrap:anywhere;"
       "background:#f7f8fb;color:#1d2330;border:1px solid #d9dee8;border-radius:0.5rem;padding:0.75rem 1rem;"
       "margin:0;max-height:{height};overflow-y:auto;")
PRIME_STYLE = "color:#5b6473;background:#e3e8f3;border-radius:3px;"
# The typewriter runs in the browser: the text arrives whole, in pieces that become visible one after
# another (CSS animation delays), so typing it costs the server one message, not one per frame, and
# the page is settled at once. Readers who ask their system for less motion see it whole.
TYPED_PIECES = 40
TYPED_STYLE = ("<style>@keyframes lab-typed{to{opacity:1}}"
               ".lab-typed{opacity:0;animation:lab-typed 1ms linear forwards}"
               "@media (prefers-reduced-motion: reduce){.lab-typed{opacity:1;animation:none}}</style>")


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


def typed(text: str, seconds: float) -> str:
    """`text` as HTML that types itself out over `seconds` (TYPED_STYLE must be on the page)."""
    every = max(1, -(-len(text) // TYPED_PIECES))
    pieces = [text[i:i + every] for i in range(0, len(text), every)]
    pause = seconds / max(1, len(pieces))
    return "".join(f"<span class='lab-typed' style='animation-delay:{k * pause:.3f}s'>{esc(piece)}</span>"
                   for k, piece in enumerate(pieces))


def box(prime: str, text: str, size: str = "1.05rem", height: str = "30rem", typed_s: float = 0,
        css_class: str = "sample-output") -> str:
    """The prime and the text in a box; with `typed_s` the text types itself out over that many seconds."""
    shown = prime[-PRIME_SHOWN:]
    lead = "…" if len(prime) > PRIME_SHOWN else ""
    prime_html = f"<span style='{PRIME_STYLE}'>{esc(lead + shown)}</span>" if prime else ""
    # HTML drops a line break directly after <pre> (and the sanitiser parses twice), so the text,
    # which may well start with one, goes inside a span.
    return (f"<pre class=\"{css_class}\" style=\"{BOX.format(mono=MONO, size=size, height=height)}\">"
            f"{prime_html}<span>{typed(text, typed_s) if typed_s > 0 else esc(text)}</span></pre>")
