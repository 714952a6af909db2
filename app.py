"""LSTM Lab: entry point, navigation and the shared sidebar."""

import streamlit as st

from ui import sidebar, workspace

st.set_page_config(page_title="LSTM Lab", page_icon=":material/memory:", layout="wide")

PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("app_pages/gates.py", title="Gates", icon=":material/grid_on:"),
    st.Page("app_pages/sample.py", title="Sample", icon=":material/edit_note:"),
    st.Page("app_pages/sentiment.py", title="Sentiment", icon=":material/sentiment_satisfied:"),
    st.Page("app_pages/anatomy.py", title="Anatomy", icon=":material/biotech:"),
]

page = st.navigation(PAGES)
workspace.folder()  # the tab's address carries its workspace id, for a server restart
sidebar.render()
workspace.restart_notice()
page.run()
