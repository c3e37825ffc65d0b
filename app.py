"""regviz app router: explicit pages in st.navigation and the shared sidebar."""

import streamlit as st

from regviz import ui

st.set_page_config(page_title="regviz", page_icon=":material/biotech:", layout="wide")

PAGES = {
    "regviz": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/sequences.py", title="Sequences", icon=":material/edit_note:"),
    ],
    "Explain a model": [
        st.Page("pages/attribution.py", title="Attribution", icon=":material/insights:"),
        st.Page("pages/gradcam.py", title="Grad-CAM", icon=":material/center_focus_strong:"),
        st.Page("pages/filters.py", title="Filters", icon=":material/filter_alt:"),
        st.Page("pages/spacing.py", title="Motif spacing", icon=":material/straighten:"),
    ],
    "Learn": [
        st.Page("pages/concepts.py", title="Concepts", icon=":material/school:"),
    ],
    "Models and data": [
        st.Page("pages/models.py", title="Model zoo", icon=":material/account_tree:"),
        st.Page("pages/data.py", title="Datasets", icon=":material/dataset:"),
        st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("pages/card.py", title="Model card", icon=":material/badge:"),
        st.Page("pages/import_model.py", title="Import a published model",
                icon=":material/upload_file:"),
    ],
}

page = st.navigation(PAGES)
with st.sidebar:
    st.caption("regviz: see inside CNNs trained on regulatory DNA")
    ui.model_picker()
page.run()
