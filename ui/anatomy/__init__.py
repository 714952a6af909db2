"""The Anatomy page's views: one step in numbers, parameter counts, gradients, the memory test."""
