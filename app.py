"""regviz app router: explicit pages in st.navigation and the shared sidebar."""

import streamlit as st

st.set_page_config(page_title="regviz", page_icon=":material/edit_note:", layout="wide")

PAGES = {
    "regviz": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/sequences.py", title="Sequences", icon=":material/edit_note:"),
    ],
    "Models and data": [
        st.Page("pages/models.py", title="Model zoo", icon=":material/account_tree:"),
    ],
}

page = st.navigation(PAGES)
with st.sidebar:
    st.caption("regviz: see inside CNNs trained on regulatory DNA")
page.run()
