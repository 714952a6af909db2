"""What the Sample page's controls accept: the page draws its widgets with these, and a link's values
are held to them (ui.view_link) before any widget sees them."""

from __future__ import annotations

from lstm_core.i18n import N_

LENGTH_MIN, LENGTH_MAX, LENGTH_DEFAULT = 50, 2_000, 400
# A log-spaced scale: as many stops between 0.1 and 1 as between 1 and 3 would have been too few.
TEMPERATURES = (0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0, 2.5, 3.0)
TEMPERATURE_DEFAULT = 0.8
TOP_P_MIN, TOP_P_MAX = 0.01, 1.0
SEED_DEFAULT, SEED_MAX = 1, 2**32 - 1
COMPARE_BY = {"temperatures": N_("Three temperatures"), "cells": N_("The cells")}  # ui.siblings: cells
