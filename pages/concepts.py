"""Concepts: a lesson from "a convolution filter" to "a PWM scanner" to "a deep CNN"."""

import streamlit as st

from regviz import concepts, ui
from regviz.plotting import concepts as concepts_plots

ui.page_header("Concepts", "A lesson for class, one tab per idea, with numbers students can "
               "check by hand. Positions are 1-based.")
tabs = st.tabs(["1. Conv = PSSM scan", "2. Padding & stride", "3. Receptive field",
                "4. Parameters", "5. k-mers", "6. Backprop"])

with tabs[0]:
    st.markdown(r"""A motif's aligned sites give counts (**PFM**) -> probabilities
$p_i(a)$ (**PPM**) -> log odds against the background $W_{a,i} = \log_2 \frac{p_i(a)}{p_{bg}(a)}$
(**PSSM**; a pseudocount keeps unseen bases finite). Information content
$R_i = \log_2 4 - (H_i + e_n)$, $H_i = -\sum_a f_{a,i}\log_2 f_{a,i}$ (relative entropy to the
background when it is not uniform); letter height $= f_{a,i} R_i$. A conv filter on one-hot DNA
computes $\mathrm{sum}(W * x)$ at every start: it **is** a PSSM scanner.""")
    chosen = ui.concepts_motif_section("c1")
    if chosen:
        ui.concepts_scan_section(chosen[1], "c1")
    with st.expander("Check the slides' numbers"):
        chk = concepts.course_neuron_check()
        st.markdown(f"Neuron on `{chk['window']}` with the slides' first 5 columns: Z = "
                    + " + ".join(f"{t:g}" for t in chk["terms"]) + f" = **{chk['z']:.1f}** "
                    f"(the slide shows 0.5 + 3.7 + 3.7 + 3.7 = 11.6, one 3.7 short); sigmoid(Z) "
                    f"= {chk['sigmoid']:.7f} (the slide's 0.9996 is not sigmoid(11.6) = "
                    f"{chk['sigmoid_of_slide_z']:.6f}). The PPM of the course motif above equals "
                    "the slides' PWM exactly.")

with tabs[1]:
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
    with ui.user_errors("Layer settings") as ok:
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
                       f"{concepts_plots.ranges(table.attrs['unseen'])}."
                       if table.attrs["unseen"] else ""))
        top = table.attrs["pool_length"] or n_conv
        hl = st.slider("Highlight output", 1, top, 1, key="c2_hl") if top > 1 else 1
        fig = concepts_plots.connectivity_figure(table, L, p, hl)
        st.plotly_chart(fig, width="stretch", key="c2_fig")
        ui.download_figure(fig, "connectivity.html", key="c2_fig_dl")
        ui.table_with_download(table.astype({"feeds_from": str, "inputs": str, "taps": str}),
                               "connectivity.csv", "c2_table")

with tabs[2]:
    st.markdown("Each conv or pool layer widens what one output sees: r_out = r_in + (k - 1) x d "
                "x jump, jump = bp between neighbouring outputs (x stride per layer). Pooling "
                "multiplies the jump; doubling the dilation at every layer (Basenji) makes the "
                "reach grow exponentially with depth for the same number of weights.")
    names = st.multiselect("Zoo models (class presets, natural lengths)", list(concepts.RF_MODELS)
                           + ["cnn", "enformer_lite", "danq"], list(concepts.RF_MODELS), key="c3_m")
    if names:
        tables = ui.concepts_rf_growth(tuple(names))
        fig = concepts_plots.receptive_field_growth_figure(
            {f"{n} ({t.attrs['input_length']:,} bp)": t for n, t in tables.items()})
        st.plotly_chart(fig, width="stretch", key="c3_fig")
        ui.download_figure(fig, "receptive_field_growth.html", key="c3_fig_dl")
        shown = st.selectbox("Layer table of", names, key="c3_show")
        ui.table_with_download(tables[shown], f"{shown}_receptive_field.csv", "c3_table")
    lr = ui.concepts_long_range()
    cnn_rf = lr.set_index("architecture").loc["cnn", "local_receptive_field"]
    st.markdown("**Long-range interactions.** In the `long-range` dataset (2,000 bp) a sequence is "
                "positive when a CTCF and a ZNF143 site lie more than 1,000 bp apart. The plain "
                f"CNN sees {cnn_rf} bp per position before global max pooling, so no unit sees "
                "both sites. Dilation (Basenji), recurrence (LSTM) or attention (Enformer-lite) "
                "let one unit see both; whether training found the rule is what each card's "
                "test AUROC says (0.5 = chance).")
    missing = lr.loc[~lr["available"], "checkpoint"].tolist()
    if missing:
        st.info(f"Not available here: {', '.join(missing)} (regenerate with `python -m "
                f"regviz.shipped --only {' '.join(missing)}`).")
    ui.table_with_download(lr, "long_range_results.csv", "c3_lr")

with tabs[3]:
    st.markdown("A dense layer has one weight per input per unit; a conv layer reuses one "
                "small kernel at every position (**parameter sharing**), so its size does not "
                "depend on the input length.")
    c = st.columns(4)
    units = c[0].number_input("Dense units", 1, 4096, 100, key="c4_u")
    filters = c[1].number_input("Conv filters", 1, 1024, 64, key="c4_f")
    k2 = c[2].number_input("Image kernel (k x k)", 1, 15, 3, key="c4_k2")
    k1 = c[3].number_input("DNA kernel (bp)", 1, 50, 19, key="c4_k1")
    ui.table_with_download(concepts.dense_vs_conv(units, filters, k2, k1), "dense_vs_conv.csv",
                           "c4_dvc")
    fig = concepts_plots.params_vs_length_figure(concepts.params_vs_length(
        [100, 300, 1000, 3000, 10000, 100000], units, filters, k1))
    st.plotly_chart(fig, width="stretch", key="c4_fig")
    ui.download_figure(fig, "params_vs_length.html", key="c4_fig_dl")
    st.markdown("**The course's worked counts**, checked against torch's count of the same layers:")
    ui.table_with_download(concepts.course_parameter_counts(), "course_counts.csv", "c4_course",
                           height=460)

with tabs[4]:
    st.markdown("A **bag of k-mers** counts every k-long word and forgets where it was. The "
                "slides' 3-mer table names the 3-mers of AGATCGAGTG. A conv filter instead scores "
                "a whole motif at every position; global max pooling keeps the best match.")
    text = st.text_area("Sequences (one per line)", "AGATCGAGTG\nCGATAACCGATAT\nGGATAAGGATAT",
                        key="c5_text")
    kk = st.radio("k", [1, 2, 3, 4], index=2, horizontal=True, key="c5_k")
    with ui.user_errors("k-mer counts") as ok:
        seqs = [ln.strip() for ln in text.splitlines() if ln.strip()]
        counts = concepts.kmer_counts(seqs, kk)
        view = concepts.conv_view(seqs)
    if ok["ok"]:
        ui.table_with_download(counts, "kmer_counts.csv", "c5_counts", index=True)
        st.caption("What one conv filter (the course motif's PSSM) + global max pooling sees:")
        ui.table_with_download(view, "conv_view.csv", "c5_view")
    st.markdown("**Logistic regression on k-mer counts vs one conv filter.** Random 50-bp "
                "sequences, half with one planted site of the course motif; half held out.")
    demo = ui.concepts_kmer_demo(800, 50, kk, 0)
    ui.table_with_download(demo["metrics"].round(3), "kmer_vs_cnn.csv", "c5_metrics")
    fig = concepts_plots.kmer_weights_figure(demo["coefficients"])
    st.plotly_chart(fig, width="stretch", key="c5_fig")
    ui.download_figure(fig, "kmer_weights.html", key="c5_fig_dl")
    ui.table_with_download(demo["examples"].round(3), "kmer_examples.csv", "c5_examples")

with tabs[5]:
    st.markdown("e = (a + b) * (b + 1) with c = a + b, d = b + 1, e = c * d. Each edge carries "
                "a local derivative; a derivative is the sum over paths of their products. "
                "**Forward mode** pushes d(node)/d(input) up, one pass per input; **reverse mode** "
                "(backpropagation) pulls de/d(node) down, one pass for every input at once.")
    c = st.columns(3)
    a = c[0].number_input("a", -10.0, 10.0, 2.0, 0.5, key="c6_a")
    b = c[1].number_input("b", -10.0, 10.0, 1.0, 0.5, key="c6_b")
    mode = c[2].radio("Show", ["reverse", "forward a", "forward b"], horizontal=True, key="c6_mode")
    ex = concepts.backprop_example(a, b)
    fig = concepts_plots.graph_figure(ex, mode)
    st.plotly_chart(fig, width="stretch", key="c6_fig")
    ui.download_figure(fig, "computational_graph.html", key="c6_fig_dl")
    tb = concepts.torch_backprop(a, b)
    grads = ex["reverse"].assign(**{"torch.autograd": [tb[n] for n in ex["reverse"]["node"]]})
    ui.table_with_download(ex["forward"].merge(grads, on="node"), "derivatives.csv", "c6_d")
    st.caption("Sum over paths (each path's edge derivatives multiplied):")
    ui.table_with_download(ex["paths"], "paths.csv", "c6_paths")
