"""The Gates page's views: heatmaps and patterns, match, n-gram comparison, influence, interventions."""
