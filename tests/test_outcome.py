"""A run is "finished" only if it learnt: above random guessing, or a loss that rose for most of the
run, is "diverged", with the reason in plain words."""

import math

from lstm_core.training.outcome import chance_loss, diverged


def test_a_run_that_learnt_is_no_divergence():
    falling = [4.0 - 0.01 * i for i in range(200)]
    assert diverged(falling, 2.1, 66, 0.01) is None


def test_ending_above_random_guessing_is_divergence_with_the_numbers_and_advice():
    why = diverged([4.2, 50.0, 273.0], 273.6, 66, 10.0)
    assert why and "273.60 nats per character" in why and f"{chance_loss(66):.2f} = ln 65" in why
    assert "learning rate (10) was too high" in why and "Try 0.01" in why
    assert diverged([3.0], float("nan"), 66, 1.0)


def test_a_loss_that_rose_for_most_of_the_run_is_divergence():
    rising = [3.0 - 0.02 * i for i in range(40)] + [2.2 + 0.02 * i for i in range(160)]
    why = diverged(rising, 3.9, 66, 0.5)
    assert why and "then rose for most of the run" in why
    noisy = [2.5 + (0.3 if i % 2 else -0.3) for i in range(200)]  # noise, no trend
    assert diverged(noisy, 2.5, 66, 0.01) is None


def test_an_untrained_network_at_about_random_guessing_has_not_diverged():
    assert diverged([3.52, 3.51, 3.50], 3.51, 33, 0.01) is None  # ln 32 = 3.47: a few steps, not far yet


def test_random_guessing_leaves_out_the_unknown_slot():
    assert chance_loss(66) == math.log(65)
