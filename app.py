"""regviz app router: explicit pages in st.navigation and the shared sidebar."""

import sys

import streamlit as st

st.set_page_config(page_title="regviz", page_icon=":material/biotech:", layout="wide")
loading = None
if "regviz.ui.state" not in sys.modules:     # the first visit after a start: say so at once
    loading = st.empty()
    loading.info("Starting regviz: loading torch and the model zoo (a few seconds, only "
                 "on the first visit after the server starts)...", icon=":material/hourglass_top:")
from regviz.ui import state, train  # noqa: E402 - after the notice, which must show first

if loading is not None:
    loading.empty()

PAGES = {
    "regviz": [
        st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("app_pages/sequences.py", title="Sequences", icon=":material/edit_note:"),
    ],
    "Explain a model": [
        st.Page("app_pages/predict.py", title="Predict", icon=":material/online_prediction:"),
        st.Page("app_pages/attribution.py", title="Attribution", icon=":material/insights:"),
        st.Page("app_pages/gradcam.py", title="Grad-CAM",
                icon=":material/center_focus_strong:"),
        st.Page("app_pages/filters.py", title="Filters", icon=":material/filter_alt:"),
        st.Page("app_pages/motifs.py", title="Motifs", icon=":material/hub:"),
        st.Page("app_pages/variants.py", title="Variants", icon=":material/genetics:"),
        st.Page("app_pages/spacing.py", title="Motif spacing", icon=":material/straighten:"),
    ],
    "Learn": [
        st.Page("app_pages/concepts.py", title="Concepts", icon=":material/school:"),
    ],
    "Models and data": [
        st.Page("app_pages/models.py", title="Model zoo", icon=":material/account_tree:"),
        st.Page("app_pages/data.py", title="Datasets", icon=":material/dataset:"),
        st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("app_pages/card.py", title="Model card", icon=":material/badge:"),
        st.Page("app_pages/import_model.py", title="Import a published model",
                icon=":material/upload_file:"),
    ],
}

page = st.navigation(PAGES, expanded=True)   # every page listed: Train is a main flow
with st.sidebar:
    st.caption("regviz: see inside CNNs trained on regulatory DNA")
    state.model_picker()
train.notify_finished_jobs()      # a job finished on any page becomes active, with a notice
page.run()
