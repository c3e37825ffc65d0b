"""Per-session state: the active model, where models come from, and uploads.

The active model is a folder kept in ``st.session_state["active_model"]`` (as its picker
label); pages read it with `active_model` / `require_active_model`. Uploaded files are
written under the cache folder (``$REGVIZ_CACHE``) by content hash, so one upload is
stored once whoever sends it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from regviz import checkpoints, genome, importers, limits
from regviz.training import runs_root
from regviz.training.shipped import RECIPES
from regviz.ui import cache
from regviz.ui.widgets import too_big, user_errors

ACTIVE = "active_model"
_REQUEST = "active_model_request"


def model_roots() -> dict:
    """Where the picker looks for checkpoints: shipped, trained in the app, uploaded."""
    return {"shipped": checkpoints.SHIPPED_ROOT, "trained here": runs_root(),
            "uploaded": genome.cache_dir() / "checkpoints"}


def available_models() -> dict:
    """label -> folder (str) of every readable checkpoint, shipped ones first."""
    order = {r.name: k for k, r in enumerate(RECIPES)}  # the lecture's DeepBind first
    found = {}
    for origin, root in model_roots().items():
        listed = checkpoints.list_checkpoints(root)
        if origin == "shipped":
            listed.sort(key=lambda item: order.get(item[0].name, len(order)))
        for folder, info in listed:
            if info.get("error"):
                continue
            data = f" on {info['dataset']}" if info.get("dataset") else ""
            found[f"{folder.name} ({info['registry_name']}{data}; {origin})"] = str(folder)
    return found


def request_active_model(folder) -> None:
    """Make ``folder`` the active model from the next run on (safe inside fragments)."""
    st.session_state[_REQUEST] = str(folder)


def model_picker() -> None:
    """The sidebar's active-model picker (app.py calls it on every page)."""
    models = available_models()
    if not models:
        st.sidebar.warning("No checkpoints found: run `regviz-shipped` or train one on the "
                           "Train page.")
        return
    wanted = st.session_state.pop(_REQUEST, None)
    if wanted is not None:
        match = [k for k, v in models.items() if v == wanted]
        if match:
            st.session_state[ACTIVE] = match[0]
    if st.session_state.get(ACTIVE) not in models:
        st.session_state.pop(ACTIVE, None)
    st.sidebar.selectbox("Active model", list(models), key=ACTIVE,
                         help="Shipped models, models trained on the Train page, and "
                              "uploaded checkpoints. Every view uses this one.")
    st.sidebar.caption(checkpoints.escape(_card_line(models[st.session_state[ACTIVE]])))


def _card_line(folder: str) -> str:
    """What the active model predicts, in one line (escaped where shown: the card may
    come from an upload)."""
    try:
        card = checkpoints.read_card(folder)
    except Exception as exc:  # noqa: BLE001 - a bad card must not break the sidebar
        return f"Card unreadable: {exc}"
    return f"Predicts {', '.join(card.task_names)}; {card.headline()}."


def active_model_folder():
    """Folder of the active model, or None when there is none."""
    label = st.session_state.get(ACTIVE)
    return available_models().get(label) if label else None


def active_model():
    """(model, card, folder) of the active model, or None (a hint is shown)."""
    folder = active_model_folder()
    if folder is None:
        st.info("Pick a model in the sidebar (or train one on the Train page).")
        return None
    with user_errors("Loading the model") as state:
        model, card = cache.load_checkpoint(folder, cache.checkpoint_stamp(folder))
    if not state["ok"]:
        return None
    return model, card, folder


def require_active_model():
    """(model, card, folder) of the active model; stops the page (after the hint or
    error of :func:`active_model`) when there is none."""
    loaded = active_model()
    if loaded is None:
        st.stop()
    return loaded


# ------------------------------------------------------------------ uploads

def uploads_dir() -> Path:
    path = genome.cache_dir() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(upload) -> Path:
    """Write an uploaded file to the uploads folder under its content hash; the oldest
    files go once the folder holds more than `regviz.limits.MAX_STORED_UPLOADS_MB`."""
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = uploads_dir() / f"{digest}_{Path(upload.name).name}"
    if not path.exists():
        tmp = path.with_name(f".{path.name}.partial")
        tmp.write_bytes(data)
        tmp.replace(path)
        _trim_uploads(keep=path)
    return path


def _trim_uploads(keep: Path) -> None:
    files = sorted((p for p in uploads_dir().iterdir() if p.is_file() and p != keep),
                   key=lambda p: p.stat().st_mtime)
    total = keep.stat().st_size + sum(p.stat().st_size for p in files)
    while files and total > limits.MAX_STORED_UPLOADS_MB * limits.MB:
        oldest = files.pop(0)
        total -= oldest.stat().st_size
        oldest.unlink(missing_ok=True)


def _activate_once(key: str, folder: Path) -> None:
    """Make an uploaded model active the first time this session sees it."""
    if st.session_state.get(key) != str(folder):
        st.session_state[key] = str(folder)
        request_active_model(folder)
        st.rerun()


def checkpoint_upload(key: str) -> None:
    """Upload a checkpoint zip; it is checked, unpacked and made the active model."""
    upload = st.file_uploader("Checkpoint zip (model.safetensors + card.json)", type=["zip"],
                              key=key, max_upload_size=limits.MAX_CHECKPOINT_UPLOAD_MB)
    if upload is None or too_big(upload, limits.MAX_CHECKPOINT_UPLOAD_MB):
        return
    digest = hashlib.sha256(upload.getvalue()).hexdigest()[:12]
    target = model_roots()["uploaded"] / f"{Path(upload.name).stem}-{digest}"
    with user_errors(upload.name) as state:
        if not (target / checkpoints.CARD).exists():
            checkpoints.load_zip(upload.getvalue(), target,
                                 max_bytes=limits.MAX_CHECKPOINT_UPLOAD_MB * 2**20)
    if state["ok"]:
        _activate_once("_uploaded", target)
        say_loaded(f"Loaded {upload.name}", target)


def say_loaded(what: str, folder) -> None:
    """"<what>; it is the active model", or, once the user has picked another one, where
    to find this one again (never a stale claim)."""
    if active_model_folder() == str(folder):
        st.success(f"{what}; it is the active model.")
    else:
        st.info(f"{what}. Another model is active now; pick {Path(folder).name} in the "
                "sidebar to use this one.")


def import_limit_mb() -> int:
    """The largest model file the Import page takes (``REGVIZ_MAX_IMPORT_UPLOAD_MB``)."""
    return limits.MAX_IMPORT_UPLOAD_MB


def import_published_upload(upload, input_length: int = 101, config_upload=None):
    """Import an uploaded DeepBind ``.txt`` or Keras ``.h5`` into the uploaded-models folder.

    Returns ``(folder, card)`` on success, else None (the reason is shown with
    st.error). The same file (and DeepBind input length) is imported only once;
    the folder is ``model_roots()["uploaded"] / "<file stem>-<hash>"``.
    """
    if upload is None or too_big(upload, limits.MAX_IMPORT_UPLOAD_MB):
        return None
    data = upload.getvalue()
    extra = config_upload.getvalue() if config_upload is not None else None
    digest = hashlib.sha256(data + (extra or b"") + str(input_length).encode()).hexdigest()[:12]
    target = model_roots()["uploaded"] / f"{Path(upload.name).stem}-{digest}"
    with user_errors("Import") as state:   # the message names the file
        if (target / checkpoints.CARD).exists():
            card = checkpoints.read_card(target)
        else:
            _, card = importers.import_file(data, target, label=upload.name,
                                            input_length=int(input_length),
                                            config_json=extra,
                                            max_bytes=limits.MAX_IMPORT_UPLOAD_MB * 2**20)
    if not state["ok"]:
        return None
    _activate_once("_imported", target)
    return target, card
