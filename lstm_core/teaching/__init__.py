"""What the Anatomy page computes: one step in numbers, parameter counts, gradients, the toy memory task."""
