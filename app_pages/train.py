"""Train: pick an architecture and data, train in the background, watch it learn."""

import streamlit as st

from regviz.ui import inputs, widgets
from regviz.ui import train as view

widgets.page_header(
    "Train a model",
    "Training runs in the background: you can leave this page, open others, or watch "
    "from a second tab. Jobs run one at a time per device; others wait in the queue. A "
    "finished model is saved as a checkpoint and becomes the active model, unless it is "
    "worse than the active model on the same data: then you choose.",
)
st.caption(f"New jobs train on: **{view.training_device()}**.")

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Model")
    entry = view.ENTRIES[st.selectbox("Architecture", list(view.ENTRIES), key="arch")]
    preset = st.radio("Preset", ["class", "paper"], horizontal=True, key="preset",
                      help="class: small, trains on a laptop CPU in about a minute; paper: "
                           "the published sizes (slow without a GPU)")
    model_box = st.container()
with right:
    st.subheader("Data")
    source = st.radio("Training data", ["Synthetic set", "Your data"], horizontal=True,
                      key="source")
    synthetic = source == "Synthetic set"
    if synthetic:
        c1, c2 = st.columns([2, 1])
        set_name = c1.selectbox("Set", view.set_names(), key="set")

# every (architecture, set) pair starts from its own defaults
defaults = view.pair_defaults(entry, set_name if synthetic else None)
exp_first = False
if view.offers_exp_first_layer(entry):
    exp_first = model_box.checkbox(
        "Exponential first layer", key="exp_first",
        help="exp instead of ReLU after the first convolution (Koo & Ploenzke 2021): its "
             "filters learn whole motifs, so they match JASPAR far more often; the rest of "
             "the network is unchanged")
overrides = view.model_overrides(defaults, preset, exp_first)
model_box.caption(entry.description)
with right:
    dataset, n, options = None, 2000, {}
    if synthetic:
        dataset = set_name
        n = int(c2.number_input("Sequences", 200, 200_000, step=500, key="n"))
        if view.easier_options(set_name):
            options = view.set_options(set_name, st.checkbox(
                "Easier set: more and sharper core sites (as the shipped DECODE)",
                key="easier", help="6-10 core sites sampled from PPM**3; on the default "
                                   "set a CPU-sized model stays at chance"))
        if dataset == "enhancer-4kb" and entry.name == "decode":
            if st.checkbox("Add per-bp chromatin tracks (accessibility, H3K27ac) as extra "
                           "input channels", key="tracks"):
                options = {**options, "tracks": "per_bp"}
    else:
        dataset = inputs.user_dataset_input("train_data")

st.subheader("Training settings")
st.info(view.defaults_caption(defaults, preset), icon=":material/timer:")
c = st.columns(4)
epochs = int(c[0].number_input("Epochs (at most)", 1, 500, key="epochs"))
batch = int(c[1].number_input("Batch size", 1, 4096, key="batch"))
lr = float(c[2].number_input("Learning rate", 1e-6, 1.0, format="%.5f", key="lr"))
seed = int(c[3].number_input("Seed", 0, 2**31 - 1, 0, key="train_seed"))
c = st.columns([1, 1, 1, 2], vertical_alignment="bottom")
patience = int(c[0].number_input("Early-stopping patience", 0, 100, key="patience",
                                 help="epochs without a better validation score before "
                                      "stopping; 0 = never stop early"))
plateau = int(c[1].number_input("Halve the rate after", 0, 100, key="lr_plateau",
                                help="epochs without a better validation score before the "
                                     "learning rate is halved; 0 = constant rate"))
balance = float(c[2].number_input(
    "Task balance", 0.0, 10.0, step=0.5, key="task_balance",
    help="several tasks: weight each task's loss by (its loss / the mean loss) to this "
         "power, so tasks still at chance pull harder than those already learned; 0 = "
         "plain mean. The shipped basset uses 2: without it, three of its six tasks "
         "stayed at chance"))
rc = c[3].checkbox("Reverse-complement augmentation", key="rc")
processes = view.all_gpus_choice()

if st.button("Start training", type="primary", disabled=dataset is None, key="start"):
    view.submit_training(entry, dataset, preset, n, overrides, options, epochs=epochs,
                         batch_size=batch, lr=lr, patience=patience, lr_plateau=plateau,
                         rc_augment=rc, task_balance=balance, seed=seed, processes=processes)

st.subheader("Jobs")
view.job_monitor()
