"""The HDF5 half of the Keras importer: an uploaded ``.h5`` read without trusting it.

Before anything is read, `check_file` walks every link of the file and refuses soft and
external links, datasets kept in other files (HDF5 external storage) and virtual
datasets, so an upload can never make h5py read a file on the server. Attributes and
datasets are read only after their declared type and size were checked against what the
architecture needs (`text_attr`, `read_weights`), so a small file cannot declare a huge
array and have it read (or decompressed) whole.
"""

from __future__ import annotations

import h5py
import numpy as np

from regviz.errors import ImportFormatError

#: links and objects one file may hold (a Keras DeepSTARR file has about 60)
MAX_OBJECTS = 10_000
#: weights one layer may list in its 'weight_names' attribute
MAX_WEIGHTS_PER_LAYER = 64


def _bad(label: str, problem: str) -> ImportFormatError:
    return ImportFormatError(f"{label}: {problem}")


def _cut(text: str) -> str:
    """``text`` quoted, cut to 120 characters (names come from the upload)."""
    return repr(text if len(text) <= 120 else text[:117] + "...")


def check_file(f: h5py.File, label: str) -> None:
    """Refuse links other than hard links, external storage and virtual datasets anywhere
    in ``f`` (ImportFormatError naming the upload and the path)."""
    seen, todo, count = {h5py.h5o.get_info(f.id).addr}, [("", f)], 0
    try:
        while todo:
            path, group = todo.pop()
            for name in group:
                count += 1
                if count > MAX_OBJECTS:
                    raise _bad(label, f"holds more than {MAX_OBJECTS:,} HDF5 objects; a "
                                      f"Keras model file holds a few dozen.")
                where = f"{path}/{name}"
                link = group.get(name, getlink=True)
                if not isinstance(link, h5py.HardLink):
                    raise _bad(label, f"{_cut(where)} is {_link_kind(link)}; regviz refuses links "
                                      f"in uploaded HDF5 files (a Keras .h5 has none).")
                obj = group[name]
                addr = h5py.h5o.get_info(obj.id).addr
                if addr in seen:
                    continue
                seen.add(addr)
                if isinstance(obj, h5py.Group):
                    todo.append((where, obj))
                elif isinstance(obj, h5py.Dataset):
                    _check_dataset(obj, where, label)
    except ImportFormatError:
        raise
    except (KeyError, OSError, RuntimeError, ValueError) as exc:
        raise _bad(label, f"its HDF5 structure cannot be read ({exc}); the file is truncated "
                          f"or corrupted.") from None


def _link_kind(link) -> str:
    if isinstance(link, h5py.SoftLink):
        return f"a soft link (to {_cut(link.path)})"
    if isinstance(link, h5py.ExternalLink):
        return f"an external link (to {_cut(link.path)} in file {_cut(link.filename)})"
    return f"a {type(link).__name__}"


def _check_dataset(dset: h5py.Dataset, where: str, label: str) -> None:
    if dset.id.get_create_plist().get_external_count() > 0:
        raise _bad(label, f"dataset {_cut(where)} keeps its data in another file (HDF5 external "
                          f"storage); regviz refuses uploads that point outside themselves.")
    if dset.is_virtual:
        raise _bad(label, f"dataset {_cut(where)} is a virtual dataset (its data lives in other "
                          f"files); regviz refuses uploads that point outside themselves.")


def _attr(obj, name: str, label: str, max_items: int, max_bytes: int):
    """Attribute ``name`` of ``obj`` if it holds at most ``max_items`` strings of at most
    ``max_bytes`` bytes in all (checked before reading); None when absent."""
    try:
        if name not in obj.attrs:
            return None
        attr = h5py.h5a.open(obj.id, name.encode())
        size, shape = attr.get_storage_size(), attr.shape or ()
        if (h5py.check_string_dtype(attr.dtype) is None or len(shape) > 1
                or int(np.prod(shape)) > max_items or size > max_bytes):
            raise _bad(label, f"attribute {name!r} of {_cut(obj.name)} must hold at most "
                              f"{max_items} text string(s) of at most {max_bytes:,} bytes. Got "
                              f"{attr.dtype} data of shape {attr.shape} ({size:,} bytes) "
                              f"instead.")
        value = obj.attrs[name]
    except ImportFormatError:
        raise
    except (KeyError, OSError, TypeError, ValueError) as exc:
        raise _bad(label, f"attribute {name!r} cannot be read ({exc}); the file is truncated "
                          f"or corrupted.") from None
    return value.tolist() if isinstance(value, np.ndarray) else value


def text_attr(obj, name: str, label: str, max_bytes: int) -> str | None:
    """The text of string attribute ``name`` (at most ``max_bytes``), or None."""
    value = _attr(obj, name, label, 1, max_bytes)
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise _bad(label, f"attribute {name!r} is not UTF-8 text.") from None
    if value is not None and (not isinstance(value, str) or len(value) > max_bytes):
        got = f"{len(value):,} characters" if isinstance(value, str) else type(value).__name__
        raise _bad(label, f"attribute {name!r} must be text of at most {max_bytes:,} "
                          f"bytes. Got {got} instead.")
    return value


def read_weights(root, shapes: list, label: str) -> dict:
    """layer name -> {"kernel"/"bias"/"gamma"/...: float32 array} for ``shapes``
    (`keras_graph.weight_shapes`); each dataset's type and shape are checked first."""
    out = {}
    for layer, need in shapes:
        try:
            group = root.get(layer.name)
        except (KeyError, OSError, TypeError, ValueError):
            group = None
        if not isinstance(group, h5py.Group):
            raise _bad(label, f"has no weights for layer {layer.name!r} (the file is truncated, "
                              f"or its weights belong to another architecture).")
        names = _attr(group, "weight_names", label, MAX_WEIGHTS_PER_LAYER, 2**16) or []
        by_key = {}
        for wname in names if isinstance(names, list) else [names]:
            wname = wname.decode("utf-8", "replace") if isinstance(wname, bytes) else wname
            by_key.setdefault(wname.split("/")[-1].split(":")[0], wname)
        out[layer.name] = {key: _read(group, layer, key, by_key, shape, label)
                           for key, shape in need.items()}
    return out


def _read(group, layer, key: str, by_key: dict, shape: tuple, label: str) -> np.ndarray:
    if key not in by_key:
        raise _bad(label, f"layer {layer.name!r} has no {key!r} weight (found "
                          f"{', '.join(_cut(k) for k in sorted(by_key)) or 'none'}).")
    wname = by_key[key]
    try:
        dset = group.get(wname)
        if not isinstance(dset, h5py.Dataset):
            raise _bad(label, f"weight {_cut(wname)} of layer {layer.name!r} is missing or not an "
                              f"array; the file is truncated or corrupted.")
        if dset.dtype.kind != "f" or dset.dtype.itemsize > 8:
            raise _bad(label, f"weight {_cut(wname)} of layer {layer.name!r} is stored as "
                              f"{dset.dtype}; weights must be floating-point numbers "
                              f"(float16, float32 or float64).")
        if tuple(dset.shape) != tuple(shape):
            raise _bad(label, f"{layer.kind} {layer.name!r}: {key} has shape "
                              f"{tuple(dset.shape)} but the architecture needs {tuple(shape)}.")
        arr = np.asarray(dset[()], dtype=np.float32)
    except ImportFormatError:
        raise
    except (KeyError, OSError, ValueError, TypeError) as exc:
        raise _bad(label, f"weight {_cut(wname)} of layer {layer.name!r} cannot be read "
                          f"({exc}); the file is truncated or corrupted.") from None
    if not np.isfinite(arr).all():
        raise _bad(label, f"weight {key!r} of layer {layer.name!r} holds NaN or infinite "
                          f"values.")
    return arr
