"""Concepts: a lesson from "a convolution filter" to "a PWM scanner" to "a deep CNN"."""

import streamlit as st

from regviz.ui import concepts as view
from regviz.ui import widgets

widgets.page_header("Concepts", "A lesson for class, one tab per idea, with numbers students "
                    "can check by hand. Positions are 1-based.")
tabs = st.tabs(["1. Conv = PSSM scan", "2. Padding & stride", "3. Receptive field",
                "4. Parameters", "5. k-mers", "6. Backprop"])
lessons = [view.tab_convolution, view.tab_padding_stride, view.tab_receptive_field,
           view.tab_parameters, view.tab_kmers, view.tab_backprop]
for tab, lesson in zip(tabs, lessons):
    with tab:
        lesson()
