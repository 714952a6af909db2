"""The Train page's views, and the session's training job (live area, settings, text, Keras code)."""
