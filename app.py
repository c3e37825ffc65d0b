"""regviz app router: explicit pages in st.navigation and the shared sidebar."""

import streamlit as st

from regviz.ui import state

st.set_page_config(page_title="regviz", page_icon=":material/biotech:", layout="wide")

PAGES = {
    "regviz": [
        st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("app_pages/sequences.py", title="Sequences", icon=":material/edit_note:"),
    ],
    "Explain a model": [
        st.Page("app_pages/attribution.py", title="Attribution", icon=":material/insights:"),
        st.Page("app_pages/gradcam.py", title="Grad-CAM",
                icon=":material/center_focus_strong:"),
        st.Page("app_pages/filters.py", title="Filters", icon=":material/filter_alt:"),
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

page = st.navigation(PAGES)
with st.sidebar:
    st.caption("regviz: see inside CNNs trained on regulatory DNA")
    state.model_picker()
page.run()
