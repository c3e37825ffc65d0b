"""Model zoo: browse the architectures, their layer tables, parameters and receptive fields."""

import streamlit as st

from regviz.ui import widgets
from regviz.ui import zoo as view

widgets.page_header(
    "Model zoo",
    "The course's architectures, built here from scratch. Pick one, a preset (`paper`: "
    "the published hyperparameters; `class`: small enough to train on a laptop CPU in "
    "about a minute) and an input length, and see its layers, parameter count and how "
    "far each layer can see (its receptive field, in bp).",
)
left, right = st.columns(2, gap="large")
a = view.architecture_picker(left, "a")
compare = right.toggle("Compare with a second architecture", value=True, key="compare")
b = view.architecture_picker(right, "b", default="Basenji") if compare else None
for column, picked, key in ((left, a, "a"), (right, b, "b")):
    if picked is not None and picked[3] is not None:
        view.architecture_panel(column, *picked, key=key)

picked = [p for p in (a, b) if p is not None and p[3] is not None]
if picked:
    st.subheader("Receptive field growth")
    st.caption("Each conv or pooling layer widens what one output position sees: "
               "r_out = r_in + (kernel - 1) x dilation x jump, where jump is the bp between "
               "neighbouring positions. Dilation makes it grow exponentially; recurrent and "
               "attention layers (and flatten/global pooling) see the whole input at once.")
    widgets.plotly_figure(view.growth_figure(picked), "receptive_field.html", key="rf_fig")
