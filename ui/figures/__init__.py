"""Figures that several pages draw: the gates' colours and heatmaps, the cell diagrams, lines and bands."""
