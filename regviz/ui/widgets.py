"""Widgets every page shares: headers, error display, cancel, figures and tables with
their downloads.

Nothing here does science; it turns finished figures and tables into elements, and
library errors into messages.
"""

from __future__ import annotations

import contextlib
import warnings

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from regviz import limits
from regviz.errors import RegvizError, RegvizWarning
from regviz.plotting import figure_inches, figure_png


def page_header(title: str, intro: str = "") -> None:
    """Title and intro of a page."""
    st.title(title)
    if intro:
        st.markdown(intro)


def page_link(page: str, label: str, icon: str | None = None) -> None:
    """A link to another page of the app; plain text when the page runs outside the app's
    navigation (a page test), where Streamlit knows no other page."""
    try:
        st.page_link(page, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        st.caption(label)


@contextlib.contextmanager
def user_errors(what: str = ""):
    """Show regviz input errors with st.error and warnings with st.warning.

    Anything else (a bug) is shown with st.exception so the page keeps working.
    Yields a dict whose "ok" entry is False when an error was shown.
    """
    state = {"ok": True}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RegvizWarning)
        try:
            yield state
        except RegvizError as exc:
            state["ok"] = False
            st.error(f"{what}{': ' if what else ''}{exc}")
        except MemoryError:
            state["ok"] = False
            st.error(f"{what}{': ' if what else ''}this needs more memory than the server can "
                     "give one request. Try fewer or shorter sequences, or a smaller model.")
        except Exception as exc:  # noqa: BLE001 - a bug must not blank the page
            state["ok"] = False
            st.error(f"Unexpected error{' in ' + what if what else ''}: {exc}")
            st.exception(exc)
    for w in caught:
        if issubclass(w.category, RegvizWarning):
            st.warning(str(w.message))


def cancel_button(key: str, label: str = "Cancel") -> None:
    """A button that stops a slow step running in this script run.

    Streamlit stops a running script at its next element update (a progress bar
    moving) when any widget is used, so clicking this stops the step there;
    nothing half-done is cached. On the rerun ``st.session_state[key]`` is True
    (see :func:`cancelled_notice`).
    """
    st.button(label, key=key, help="Stops at the next progress update; nothing is kept.")


def cancelled_notice(key: str, what: str) -> None:
    """Say that ``what`` was cancelled when :func:`cancel_button` ``key`` was clicked."""
    if st.session_state.get(key):
        st.info(f"{what} was cancelled: nothing from that run was kept.")


AUTO_SECONDS = limits.AUTO_RUN_SECONDS   # analyses expected to take longer wait for a button


def run_when_asked(key: str, label: str, seconds: float, ready: bool, compute, what: str = ""):
    """``compute()``'s result, or None while the user has not asked for it.

    It runs at once when its result is kept already (``ready``) or is expected to take
    under `AUTO_SECONDS`; otherwise a button says the expected time (``seconds``, from
    `regviz.costs`) and it runs when clicked, with a Cancel button beside its progress.
    Errors are shown (None returned) under ``what``.
    """
    button = cancel = None
    if not ready and seconds >= AUTO_SECONDS:
        button = st.empty()
        if not button.button(f"{label} (about {fmt_seconds(seconds)})", type="primary",
                             key=key, help="Estimated from a timed pass of this model on "
                                           "this machine."):
            cancelled_notice(f"{key}_cancel", label)
            return None
        cancel = st.empty()
        with cancel:
            cancel_button(f"{key}_cancel")
    with user_errors(what or label) as ok:
        result = compute()
    for element in (button, cancel):      # done: neither button is needed any more
        if element is not None:
            element.empty()
    return result if ok["ok"] else None


def progress_bar(label: str):
    """``(bar, progress)``: a progress bar and a ``progress(done, total)`` that moves it."""
    bar = st.progress(0.0, text=f"{label}...")

    def progress(done, total):
        bar.progress(min(done / max(total, 1), 1.0), text=f"{label}: {done:,} of {total:,}")

    return bar, progress


def too_big(upload, limit_mb: float) -> bool:
    """True (and an error shown) when an upload is over ``limit_mb`` megabytes."""
    if upload.size > limit_mb * 2**20:
        st.error(f"{upload.name} is {upload.size / 2**20:.1f} MB; the limit here is "
                 f"{limit_mb:g} MB.")
        return True
    return False


def download_figure(fig, filename: str, key: str, column=None) -> None:
    """A download button for a plotly figure as an interactive HTML file (plotly.js from
    its CDN; the chart's own camera button saves a PNG offline)."""
    (column or st).download_button("Figure (HTML)", fig.to_html(include_plotlyjs="cdn"),
                                   filename, "text/html", key=key)


def plotly_figure(fig, filename: str, key: str, column=None) -> None:
    """A plotly figure with its HTML download below it."""
    where = column or st
    where.plotly_chart(fig, width="stretch", key=key)
    download_figure(fig, filename, key=f"{key}_dl", column=column)


def matplotlib_figure(fig, filename: str, key: str, label: str = "Figure (PNG)",
                      column=None) -> None:
    """A matplotlib figure (a logo) shown as the PNG its download button gives (drawn
    once), at 100 px per inch of the figure."""
    where = column or st
    png = fig if isinstance(fig, bytes) else figure_png(fig)
    width = int(figure_inches(png)[0] * 100)
    where.image(png, width=width)
    where.download_button(label, png, filename, "image/png", key=f"{key}_png")


def table_with_download(df, filename: str, key: str, index: bool = False, column=None,
                        **kwargs) -> None:
    """st.dataframe (integers with thousands separators) plus a CSV download button."""
    where = column or st
    config = {c: st.column_config.NumberColumn(format="localized") for c in df.columns
              if str(df[c].dtype) in ("int64", "Int64")}
    config.update(kwargs.pop("column_config", {}))
    where.dataframe(df, hide_index=not index, width="stretch", column_config=config, **kwargs)
    where.download_button("Table (CSV)", df.to_csv(index=index), filename, "text/csv",
                          key=f"{key}_csv")


def fmt_seconds(s) -> str:
    """Seconds in words: "42 s", "3 min 05 s", or "estimating..." for None."""
    if s is None:
        return "estimating..."
    s = int(round(s))
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"
