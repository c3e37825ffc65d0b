"""Figures of the Motifs page: each discovered pattern as CWM and PPM logos beside its
JASPAR match (from finished arrays of `regviz.discovery`; no model calls)."""

from __future__ import annotations

import numpy as np

from .figures import draw_logo, new_figure


def patterns_figure(rows: list[dict], ncols: int = 3):
    """One row of logos per pattern: its CWM (contribution per base, signed), its PPM
    in bits, and its best JASPAR match aligned as Tomtom aligned them (or a note).

    ``rows``: dicts with ``cwm`` (4, w), ``heights`` (4, w) bits of the PPM, ``title``,
    and optionally ``match_heights`` (4, wt) bits, ``offset`` (pattern column j on
    target column j + offset), ``strand`` ('-': draw the target's reverse complement),
    ``match_title``.
    """
    n = max(len(rows), 1)
    widths = [r["cwm"].shape[1] for r in rows] or [10]
    fig, axes = new_figure(max(11.0, 0.25 * max(widths) * ncols + 3), 1.9 * n, n, ncols,
                           squeeze=False)
    for ax_row, r in zip(axes, rows):
        w = r["cwm"].shape[1]
        draw_logo(ax_row[0], r["cwm"], title=f"{r['title']}: CWM", fontsize=10,
                  ylabel="contribution")
        draw_logo(ax_row[1], r["heights"], title="PPM (bits)", fontsize=10)
        ax_row[1].set_ylim(0, 2)
        t = r.get("match_heights")
        if t is None:
            ax_row[2].axis("off")
            ax_row[2].text(0.5, 0.5, r.get("match_title") or "no significant JASPAR match",
                           ha="center", va="center", fontsize=10, transform=ax_row[2].transAxes)
            continue
        t = np.asarray(t, dtype=float)
        if r.get("strand") == "-":
            t = t[::-1, ::-1]
        offset = int(r.get("offset", 0))
        draw_logo(ax_row[2], t, start=1 - offset, fontsize=10,
                  title=r.get("match_title", "") + (" (rev. comp.)" if r.get("strand") == "-"
                                                    else ""))
        lo, hi = min(1, 1 - offset), max(w, t.shape[1] - offset)
        for ax in ax_row:
            ax.set_xlim(lo - 0.5, hi + 0.5)
        ax_row[2].set_ylim(0, 2)
    for ax_row in axes[len(rows):]:
        for ax in ax_row:
            ax.axis("off")
    fig.tight_layout()
    return fig
