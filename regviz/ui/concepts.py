"""The Concepts view: the lesson's tabs, each a small interactive exercise with numbers a
class can check by hand (the arithmetic is `regviz.concepts`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from regviz import concepts, motifs
from regviz.plotting import concepts as plots
from regviz.plotting import figure_png
from regviz.ui.inputs import sequence_input
from regviz.ui.widgets import download_figure, table_with_download, user_errors

CONCEPTS_MOTIFS = ["course example (GGATAA, CGATAA, CGATAT, GGATAT)", "GATA1", "CTCF",
                   "FOS::JUN", "Spi1", "TAL1::TCF3", "other JASPAR name or ID"]


@st.cache_resource(show_spinner=False, max_entries=64)
def load_motif(name: str):
    """The course motif or a JASPAR motif by name or ID (cached)."""
    return concepts.course_motif() if name.startswith("course") else motifs.jaspar(name)


def motif_picker(key: str):
    """Motif, background and pseudocount pickers; returns (motif, background, pseudocount)
    or None after showing an error."""
    c1, c2, c3 = st.columns([2, 1, 1])
    choice = c1.selectbox("Motif", CONCEPTS_MOTIFS, key=f"{key}_motif")
    if choice == CONCEPTS_MOTIFS[-1]:
        choice = c1.text_input("JASPAR name or matrix ID", "MA0139.2", key=f"{key}_jaspar")
    gc = c2.slider("Background GC fraction", 0.2, 0.8, 0.5, 0.05, key=f"{key}_gc",
                   help="Background: A = T = (1 - GC) / 2, C = G = GC / 2.")
    pc = c3.slider("PSSM pseudocount (total per column)", 0.0, 4.0, 0.8, 0.1, key=f"{key}_pc",
                   help="Added before taking logs so that unseen bases do not score minus "
                        "infinity.")
    with user_errors("Motif") as ok:
        motif = load_motif(choice)
    if not ok["ok"]:
        return None
    return motif, motifs.gc_background(gc), pc


@st.cache_data(show_spinner="Tracing the zoo models...", max_entries=16)
def rf_growth(names: tuple) -> dict:
    """Receptive field growth of zoo models (`regviz.concepts.receptive_field_growth`)."""
    return {n: concepts.receptive_field_growth(n) for n in names}


@st.cache_data(show_spinner="Reading the long-range checkpoint cards...", ttl=120)
def long_range():
    """The shipped long-range checkpoints' results (`regviz.concepts.long_range_results`)."""
    return concepts.long_range_results()


@st.cache_data(show_spinner="Counting k-mers and fitting the logistic regression...",
               max_entries=16)
def kmer_demo(n: int, length: int, k: int, seed: int) -> dict:
    """`regviz.concepts.kmer_vs_cnn`, cached per settings."""
    return concepts.kmer_vs_cnn(n, length, k, seed)


def motif_section(key: str):
    """Motif pickers, PPM/PSSM/IC logos and tables; returns (motif, kernel (4, w)) or None."""
    picked = motif_picker(key)
    if not picked:
        return None
    motif, bg, pc = picked
    small = st.checkbox("Small-sample correction e_n in the IC", key=f"{key}_en")
    with user_errors(motif.name) as ok:
        mats = concepts.motif_matrices(motif, bg, pc, small)
    if not ok["ok"]:
        return None
    fig = plots.matrix_logos_figure(mats, f"{motif.name} ({motif.id})")
    left, right = st.columns([3, 2])
    left.pyplot(fig, width="stretch")
    left.download_button("Logos (PNG)", figure_png(fig),
                         "motif_logos.png", "image/png", key=f"{key}_logo_png")
    right.markdown(f"**{motif.name}** ({motif.id}), {motif.width} bp, consensus "
                   f"`{motif.consensus}`.\n\n*Top*: the PPM. *Middle*: the PSSM, the conv "
                   "kernel (letters below 0 are penalised). *Bottom*: the logo; its total height "
                   f"is the information content, {mats['ic'].to_numpy().sum():.1f} bits.")
    with st.expander("PFM, PPM, PSSM and IC tables", expanded=True):
        table_with_download(pd.concat({k: mats[k] for k in ("pfm", "ppm", "pssm", "ic")})
                            .round(2), f"{motif.id}_matrices.csv", f"{key}_mats", index=True,
                            height=35 * 18 + 3)
    kernel = mats["pssm"].to_numpy()
    if motif.id == "course" and st.radio(
            "Kernel", ["PSSM computed here", "W printed on the slides"], horizontal=True,
            key=f"{key}_kernel") != "PSSM computed here":
        kernel = concepts.COURSE_SLIDE_PSSM
        st.caption("The slides' W is illustrative: no background turns the PWM into it "
                   "(p = 1 gives 3.7 but p = 0.5 gives 0.5 or 0.6).")
    return motif, kernel


def scan_section(kernel, key: str) -> None:
    """Sequence input, then the PSSM slid along it: window terms, score track, tables."""
    records = sequence_input(f"{key}_seq", f">slide_example\n{concepts.COURSE_SEQUENCE}\n"
                             ">two_sites\nTTGACAGATAAGGCTTATCTGCATGACTCATCGGATATC\n",
                             allow_region=False)
    if not records:
        return
    rec = st.selectbox("Sequence", records, format_func=lambda r: r.name, key=f"{key}_rec")
    c1, c2, c3 = st.columns(3)
    thr = c1.slider("ReLU threshold t (bias = -t)", -10.0, 20.0, 0.0, 0.5, key=f"{key}_thr")
    pool = c2.number_input("Max-pool size", 1, 50, 2, key=f"{key}_pool")
    pstride = c3.number_input("Max-pool stride", 1, 50, 2, key=f"{key}_pstride")
    with user_errors(rec.name) as ok:
        scores, pooled = concepts.pssm_walkthrough(rec.sequence, kernel, thr, int(pool),
                                                   int(pstride))
    if not ok["ok"]:
        return
    start = st.slider("Window start (slide the filter)", 1, len(scores), 1,
                      key=f"{key}_start_{rec.name}")
    row = scores.iloc[start - 1]
    terms = concepts.window_terms(row["window"], kernel)
    st.markdown(f"Window {start}-{row['end']} `{row['window']}`: score = "
                + " + ".join(f"{w:.2f}" for w in terms)
                + f" = **{row['score']:.2f}**; ReLU = **{row['relu']:.2f}**")
    fig = plots.score_track_figure(scores, pooled, thr, selected=start)
    st.plotly_chart(fig, width="stretch", key=f"{key}_track")
    download_figure(fig, "pssm_scan.html", key=f"{key}_track_dl")
    st.success(f"torch.nn.Conv1d(4, 1, {len(terms)}) with the PSSM as its weight gives the same "
               f"scores: largest difference {scores.attrs['max_abs_diff']:.1e} (float64 "
               "rounding).")
    table_with_download(scores.round(4), f"{rec.name}_scan.csv", f"{key}_scores")
    st.caption(f"Max pooling (size {pool}, stride {pstride}) of the ReLU track:")
    table_with_download(pooled.round(4), f"{rec.name}_pooled.csv", f"{key}_pooled")


def tab_convolution() -> None:
    """1. A convolution filter is a PSSM scanner."""
    st.markdown(r"""A motif's aligned sites give counts (**PFM**) -> probabilities
$p_i(a)$ (**PPM**) -> log odds against the background $W_{a,i} = \log_2 \frac{p_i(a)}{p_{bg}(a)}$
(**PSSM**; a pseudocount keeps unseen bases finite). Information content
$R_i = \log_2 4 - (H_i + e_n)$, $H_i = -\sum_a f_{a,i}\log_2 f_{a,i}$ (relative entropy to the
background when it is not uniform); letter height $= f_{a,i} R_i$. A conv filter on one-hot DNA
computes $\mathrm{sum}(W * x)$ at every start: it **is** a PSSM scanner.""")
    chosen = motif_section("c1")
    if chosen:
        scan_section(chosen[1], "c1")
    with st.expander("Check the slides' numbers"):
        chk = concepts.course_neuron_check()
        st.markdown(f"Neuron on `{chk['window']}` with the slides' first 5 columns: Z = "
                    + " + ".join(f"{t:g}" for t in chk["terms"]) + f" = **{chk['z']:.1f}** "
                    f"(the slide shows 0.5 + 3.7 + 3.7 + 3.7 = 11.6, one 3.7 short); sigmoid(Z) "
                    f"= {chk['sigmoid']:.7f} (the slide's 0.9996 is not sigmoid(11.6) = "
                    f"{chk['sigmoid_of_slide_z']:.6f}). The PPM of the course motif above equals "
                    "the slides' PWM exactly.")


def tab_padding_stride() -> None:
    """2. Output lengths under padding, stride, dilation and pooling."""
    st.markdown(r"Output length $L_{out} = \left\lfloor \frac{L + 2p - d(k-1) - 1}{s} \right\rfloor"
                r" + 1$ (the same for max pooling, whose stride defaults to its size). Defaults: "
                "the slides' first conv layer on the 13-bp example (kernel 4, stride 2).")
    c = st.columns(5)
    L = c[0].number_input("Length L", 1, 200, 13, key="c2_L")
    k = c[1].number_input("Kernel k", 1, 50, 4, key="c2_k")
    s = c[2].number_input("Stride s", 1, 20, 2, key="c2_s")
    p = c[3].number_input("Padding p", 0, 50, 0, key="c2_p")
    d = c[4].number_input("Dilation d", 1, 20, 1, key="c2_d")
    c = st.columns(3)
    use_pool = c[0].checkbox("Then max pooling", True, key="c2_pool")
    ps = c[1].number_input("Pool size", 1, 20, 2, key="c2_ps", disabled=not use_pool)
    pst = c[2].number_input("Pool stride", 1, 20, 1, key="c2_pst", disabled=not use_pool)
    with user_errors("Layer settings") as ok:
        table = concepts.connectivity(L, k, s, p, d, ps if use_pool else None, pst)
        measured = concepts.torch_output_lengths(L, k, s, p, d, ps if use_pool else None, pst)
    if ok["ok"]:
        n_conv = table.attrs["conv_length"]
        st.markdown(f"Conv: floor(({L} + 2x{p} - {d}x({k}-1) - 1) / {s}) + 1 = **{n_conv}**"
                    + (f"; pool: floor(({n_conv} - {ps}) / {pst}) + 1 = "
                       f"**{table.attrs['pool_length']}**"
                       if use_pool else "") + f". torch measures {measured[0]}"
                    + (f" and {measured[1]}." if use_pool else ".")
                    + (" Input bp seen by no output: "
                       f"{plots.ranges(table.attrs['unseen'])}."
                       if table.attrs["unseen"] else ""))
        top = table.attrs["pool_length"] or n_conv
        hl = st.slider("Highlight output", 1, top, 1, key="c2_hl") if top > 1 else 1
        fig = plots.connectivity_figure(table, L, p, hl)
        st.plotly_chart(fig, width="stretch", key="c2_fig")
        download_figure(fig, "connectivity.html", key="c2_fig_dl")
        table_with_download(table.astype({"feeds_from": str, "inputs": str, "taps": str}),
                               "connectivity.csv", "c2_table")


def tab_receptive_field() -> None:
    """3. How far each layer sees; long-range interactions."""
    st.markdown("Each conv or pool layer widens what one output sees: r_out = r_in + (k - 1) x d "
                "x jump, jump = bp between neighbouring outputs (x stride per layer). Pooling "
                "multiplies the jump; doubling the dilation at every layer (Basenji) makes the "
                "reach grow exponentially with depth for the same number of weights.")
    names = st.multiselect("Zoo models (class presets, natural lengths)", list(concepts.RF_MODELS)
                           + ["cnn", "enformer_lite", "danq"], list(concepts.RF_MODELS), key="c3_m")
    if names:
        tables = rf_growth(tuple(names))
        fig = plots.receptive_field_growth_figure(
            {f"{n} ({t.attrs['input_length']:,} bp)": t for n, t in tables.items()})
        st.plotly_chart(fig, width="stretch", key="c3_fig")
        download_figure(fig, "receptive_field_growth.html", key="c3_fig_dl")
        shown = st.selectbox("Layer table of", names, key="c3_show")
        table_with_download(tables[shown], f"{shown}_receptive_field.csv", "c3_table")
    lr = long_range()
    cnn_rf = lr.set_index("architecture").loc["cnn", "local_receptive_field"]
    st.markdown("**Long-range interactions.** In the `long-range` dataset (2,000 bp) a sequence is "
                "positive when a CTCF and a ZNF143 site lie more than 1,000 bp apart. The plain "
                f"CNN sees {cnn_rf} bp per position before global max pooling, so no unit sees "
                "both sites. Dilation (Basenji), recurrence (LSTM) or attention (Enformer-lite) "
                "let one unit see both; whether training found the rule is what each card's "
                "test AUROC says (0.5 = chance).")
    missing = lr.loc[~lr["available"], "checkpoint"].tolist()
    if missing:
        st.info(f"Not available here: {', '.join(missing)} (regenerate with `regviz-shipped "
                f"--only {' '.join(missing)}`).")
    table_with_download(lr, "long_range_results.csv", "c3_lr")


def tab_parameters() -> None:
    """4. Parameter counts: dense layers vs parameter sharing."""
    st.markdown("A dense layer has one weight per input per unit; a conv layer reuses one "
                "small kernel at every position (**parameter sharing**), so its size does not "
                "depend on the input length.")
    c = st.columns(4)
    units = c[0].number_input("Dense units", 1, 4096, 100, key="c4_u")
    filters = c[1].number_input("Conv filters", 1, 1024, 64, key="c4_f")
    k2 = c[2].number_input("Image kernel (k x k)", 1, 15, 3, key="c4_k2")
    k1 = c[3].number_input("DNA kernel (bp)", 1, 50, 19, key="c4_k1")
    table_with_download(concepts.dense_vs_conv(units, filters, k2, k1), "dense_vs_conv.csv",
                           "c4_dvc")
    fig = plots.params_vs_length_figure(concepts.params_vs_length(
        [100, 300, 1000, 3000, 10000, 100000], units, filters, k1))
    st.plotly_chart(fig, width="stretch", key="c4_fig")
    download_figure(fig, "params_vs_length.html", key="c4_fig_dl")
    st.markdown("**The course's worked counts**, checked against torch's count of the same layers:")
    table_with_download(concepts.course_parameter_counts(), "course_counts.csv", "c4_course",
                           height=460)


def tab_kmers() -> None:
    """5. A bag of k-mers vs one convolution filter."""
    st.markdown("A **bag of k-mers** counts every k-long word and forgets where it was. The "
                "slides' 3-mer table names the 3-mers of AGATCGAGTG. A conv filter instead scores "
                "a whole motif at every position; global max pooling keeps the best match.")
    text = st.text_area("Sequences (one per line)", "AGATCGAGTG\nCGATAACCGATAT\nGGATAAGGATAT",
                        key="c5_text")
    kk = st.radio("k", [1, 2, 3, 4], index=2, horizontal=True, key="c5_k")
    with user_errors("k-mer counts") as ok:
        seqs = [ln.strip() for ln in text.splitlines() if ln.strip()]
        counts = concepts.kmer_counts(seqs, kk)
        conv = concepts.conv_view(seqs)
    if ok["ok"]:
        table_with_download(counts, "kmer_counts.csv", "c5_counts", index=True)
        st.caption("What one conv filter (the course motif's PSSM) + global max pooling sees:")
        table_with_download(conv, "conv_view.csv", "c5_view")
    st.markdown("**Logistic regression on k-mer counts vs one conv filter.** Random 50-bp "
                "sequences, half with one planted site of the course motif; half held out.")
    demo = kmer_demo(800, 50, kk, 0)
    table_with_download(demo["metrics"].round(3), "kmer_vs_cnn.csv", "c5_metrics")
    fig = plots.kmer_weights_figure(demo["coefficients"])
    st.plotly_chart(fig, width="stretch", key="c5_fig")
    download_figure(fig, "kmer_weights.html", key="c5_fig_dl")
    table_with_download(demo["examples"].round(3), "kmer_examples.csv", "c5_examples")


def tab_backprop() -> None:
    """6. Backpropagation on a small computational graph."""
    st.markdown("e = (a + b) * (b + 1) with c = a + b, d = b + 1, e = c * d. Each edge carries "
                "a local derivative; a derivative is the sum over paths of their products. "
                "**Forward mode** pushes d(node)/d(input) up, one pass per input; **reverse mode** "
                "(backpropagation) pulls de/d(node) down, one pass for every input at once.")
    c = st.columns(3)
    a = c[0].number_input("a", -10.0, 10.0, 2.0, 0.5, key="c6_a")
    b = c[1].number_input("b", -10.0, 10.0, 1.0, 0.5, key="c6_b")
    mode = c[2].radio("Show", ["reverse", "forward a", "forward b"], horizontal=True, key="c6_mode")
    ex = concepts.backprop_example(a, b)
    fig = plots.graph_figure(ex, mode)
    st.plotly_chart(fig, width="stretch", key="c6_fig")
    download_figure(fig, "computational_graph.html", key="c6_fig_dl")
    tb = concepts.torch_backprop(a, b)
    grads = ex["reverse"].assign(**{"torch.autograd": [tb[n] for n in ex["reverse"]["node"]]})
    table_with_download(ex["forward"].merge(grads, on="node"), "derivatives.csv", "c6_d")
    st.caption("Sum over paths (each path's edge derivatives multiplied):")
    table_with_download(ex["paths"], "paths.csv", "c6_paths")
