"""Model folders on disk and their zip form."""
