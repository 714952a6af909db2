"""Streamlit-side helpers shared by the pages: session state, the sidebar, figures."""
