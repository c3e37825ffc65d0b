"""Predict: what the active model says about each sequence, in the units its card gives."""

from pathlib import Path

import streamlit as st

from regviz.plotting import predict as plots
from regviz.ui import inputs, state, widgets
from regviz.ui import predict as view

widgets.page_header(
    "Predict",
    "The active model's output for every sequence, on both strands and their mean, in the "
    "units its card describes (probabilities for binary and multitask models, raw values "
    "for regression). Sequences longer than the model's input are scored window by "
    "window along their length. Sequences from the model's own synthetic test set show "
    "their true label beside the prediction.",
)
model, card, folder = state.require_active_model()
if getattr(model, "in_channels", 4) != 4:
    st.info(f"{card.title} reads chromatin tracks beside or instead of DNA, so sequences "
            "alone cannot be scored here; call regviz.predict.predict from Python with "
            "the tracks.")
    st.stop()
length = model.input_length
st.caption(f"{card.title} reads {length:,} bp and predicts {', '.join(card.task_names)}: "
           f"{card.how_to_read}.")
records = inputs.sequence_input(f"predict_{Path(folder).name}", inputs.model_examples(folder, model),
                                allow_region=True)
if not records:
    st.stop()
c1, c2 = st.columns(2)
both = c1.toggle("Both strands (forward, reverse complement, mean)", True, key="pr_both")
fit, longer, shorter = view.split_by_length(records, length)
if shorter:
    st.warning(f"Not scored (shorter than the model's {length:,} bp): "
               + ", ".join(r.name for r in shorter[:10]) + (" ..." if len(shorter) > 10 else ""))
if fit:
    with widgets.user_errors("Prediction") as ok:
        table = view.with_labels(folder, view.predictions(folder, fit, both), fit)
    if ok["ok"]:
        st.subheader(f"{len(fit)} sequence(s) of {length:,} bp")
        widgets.table_with_download(table, "predictions.csv", "pr_table",
                                    column_config={c: st.column_config.NumberColumn(
                                        format="%.4f") for c in ("forward", "reverse",
                                                                 "mean", "label")})
if longer:
    st.subheader("Along longer sequences")
    pick = st.selectbox("Sequence", [r.name for r in longer], key="pr_long")
    record = next(r for r in longer if r.name == pick)
    stride = int(c2.number_input("Window step (bp)", 1, 100_000, max(1, length // 4),
                                 key="pr_stride", help="Distance between window starts."))
    with widgets.user_errors(pick) as ok:
        tiles = view.tiles(folder, record, stride, both)
    if ok["ok"]:
        units = "probability" if card.reads_as_probability else "prediction"
        widgets.plotly_figure(plots.tile_figure(tiles, f"{pick}: windows of {length:,} bp",
                                                units), "prediction_track.html", "pr_fig")
        widgets.table_with_download(tiles, "prediction_windows.csv", "pr_tiles")
