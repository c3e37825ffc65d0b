"""JASPAR motifs from the SQLite file pyjaspar ships, pinned to one release.

The release is :data:`JASPAR_RELEASE` (``"JASPAR2024"``), so results do not
change when pyjaspar adds a newer release. The file is the one pyjaspar uses
(``pyjaspar/data/JASPAR2024.sqlite``), opened read-only with :mod:`sqlite3`:
``pyjaspar.jaspardb(...).fetch_motifs`` takes about 1 s for CORE vertebrates
and 2.3 s for all of CORE on 2 cores, one query per matrix, while reading the
tables in three queries takes a fraction of that. Collections keep the latest
version of each matrix only, as ``fetch_motifs`` does, and are cached in the
process. Import these names from :mod:`regviz.motifs`.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import importlib.util
import re
import sqlite3
from pathlib import Path

import numpy as np

from regviz.errors import MotifNotFoundError
from regviz.motifs.matrix import Motif

JASPAR_RELEASE = "JASPAR2024"
COLLECTIONS = ("CORE vertebrates", "CORE insects", "CORE all")
_TAX = {"CORE vertebrates": "vertebrates", "CORE insects": "insects", "CORE all": None}
_ID = re.compile(r"^([A-Z]{2}\d{4})(?:\.(\d+))?$", re.IGNORECASE)


def jaspar_path() -> Path:
    """Path of the pinned JASPAR SQLite file inside the installed pyjaspar package.

    Found without importing pyjaspar (which imports Biopython, 0.1 s).
    """
    spec = importlib.util.find_spec("pyjaspar")
    if spec is None or not spec.submodule_search_locations:
        raise MotifNotFoundError("pyjaspar is not installed; it ships the JASPAR database "
                                 "regviz reads. Install it with `pip install pyjaspar`.")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / f"{JASPAR_RELEASE}.sqlite"
    if not path.is_file():
        raise MotifNotFoundError(f"{path} is missing; this pyjaspar does not ship "
                                 f"{JASPAR_RELEASE}. Install pyjaspar>=4.0.")
    return path


def _connect():
    """Read-only connection to the pinned file, closed on leaving the block."""
    return contextlib.closing(sqlite3.connect(f"file:{jaspar_path()}?mode=ro", uri=True))


def _motifs_for(con: sqlite3.Connection, where: str, params=()) -> list[Motif]:
    """Motifs for the MATRIX rows selected by ``where`` (alias m), in ID order."""
    rows = con.execute(f"SELECT m.ID, m.BASE_ID, m.VERSION, m.NAME FROM MATRIX m "
                       f"WHERE {where} ORDER BY m.BASE_ID, m.VERSION", params).fetchall()
    if not rows:
        return []
    ids = [r[0] for r in rows]
    con.execute("CREATE TEMP TABLE IF NOT EXISTS want (ID INTEGER PRIMARY KEY)")
    con.execute("DELETE FROM want")
    con.executemany("INSERT INTO want VALUES (?)", [(i,) for i in ids])
    data = con.execute("SELECT d.ID, d.row, d.col, d.val FROM MATRIX_DATA d "
                       "JOIN want w ON d.ID = w.ID").fetchall()
    notes: dict[int, dict[str, list[str]]] = {}
    for i, tag, val in con.execute(
            "SELECT a.ID, a.TAG, a.VAL FROM MATRIX_ANNOTATION a JOIN want w ON a.ID = w.ID "
            "WHERE a.TAG IN ('tax_group', 'class', 'family') ORDER BY a.LOCAL_ID"):
        notes.setdefault(i, {}).setdefault(tag, []).append(val)
    mats = {}
    for i, row, col, val in data:
        mats.setdefault(i, []).append(("ACGT".index(row.upper()), int(col), float(val)))
    out = []
    for int_id, base, version, name in rows:
        cells = np.array(mats[int_id])
        counts = np.zeros((4, int(cells[:, 1].max())))
        counts[cells[:, 0].astype(int), cells[:, 1].astype(int) - 1] = cells[:, 2]
        note = notes.get(int_id, {})
        out.append(Motif(f"{base}.{version}", name, counts,
                         tax_group="::".join(note.get("tax_group", [])) or None,
                         tf_class="::".join(note.get("class", [])) or None,
                         tf_family="::".join(note.get("family", [])) or None))
    return out


@functools.lru_cache(maxsize=1)
def _core_latest() -> tuple[Motif, ...]:
    """Every CORE matrix of the release, latest version of each base ID."""
    with _connect() as con:
        # A join on the latest versions: a correlated NOT EXISTS takes 1.2 s.
        return tuple(_motifs_for(con, "m.COLLECTION = 'CORE' AND m.ID IN (SELECT m2.ID "
                                      "FROM MATRIX m2 JOIN (SELECT BASE_ID b, max(VERSION) v "
                                      "FROM MATRIX GROUP BY BASE_ID) x ON x.b = m2.BASE_ID "
                                      "AND x.v = m2.VERSION)"))


@functools.lru_cache(maxsize=None)
def _cached_collection(name: str) -> tuple[Motif, ...]:
    tax = _TAX[name]
    return tuple(m for m in _core_latest() if tax is None or m.tax_group == tax)


def _collection(name: str) -> tuple[Motif, ...]:
    if isinstance(name, str) and name.startswith(JASPAR_RELEASE + " "):
        name = name[len(JASPAR_RELEASE) + 1:]
    if name not in _TAX:
        raise MotifNotFoundError(f"collection must be one of {list(COLLECTIONS)}. "
                                 f"Got {name!r} instead.")
    return _cached_collection(name)


def collection(name: str = "CORE vertebrates") -> list[Motif]:
    """The motifs of one JASPAR collection of the pinned release.

    Parameters
    ----------
    name : str
        One of ``"CORE vertebrates"``, ``"CORE insects"``, ``"CORE all"``,
        optionally prefixed by the release (``"JASPAR2024 CORE vertebrates"``).

    Returns
    -------
    list of Motif
        Latest version of each matrix, sorted by matrix ID (879 for CORE
        vertebrates, 286 for insects, 2346 for all of CORE in JASPAR2024).
        Loaded once per process (about 0.2 s), then served from memory.
    """
    return list(_collection(name))


@functools.lru_cache(maxsize=256)
def _by_id(base: str, version: int | None) -> Motif | None:
    with _connect() as con:
        if version is None:
            found = _motifs_for(con, "m.BASE_ID = ? COLLATE NOCASE", (base,))
        else:
            found = _motifs_for(con, "m.BASE_ID = ? COLLATE NOCASE AND m.VERSION = ?",
                                (base, version))
    return found[-1] if found else None


def jaspar(name_or_id: str, collection: str = "CORE all") -> Motif:
    """One JASPAR motif by matrix ID or by TF name.

    Parameters
    ----------
    name_or_id : str
        A matrix ID with version (``"MA0139.1"``, any matrix of the release,
        old versions included), without version (``"MA0139"``: the latest
        version), or a TF name, matched case-insensitively and exactly within
        ``collection``. When several matrices share the name (CTCF has four
        in CORE), the vertebrate one with the lowest matrix ID wins, which is
        usually the first-deposited, canonical profile (CTCF -> MA0139.2);
        a matrix whose name has the same case as asked is preferred.
    collection : str
        Collection searched for names (see :func:`collection`).

    Returns
    -------
    Motif

    Raises
    ------
    MotifNotFoundError
        Nothing matches; the message lists the closest names.
    """
    if not isinstance(name_or_id, str) or not name_or_id.strip():
        raise MotifNotFoundError("name_or_id must be a JASPAR matrix ID (MA0139.2) or a "
                                 f"TF name (CTCF). Got {name_or_id!r} instead.")
    query = name_or_id.strip()
    motifs = _collection(collection)
    hit = _ID.match(query)
    if hit:
        found = _by_id(hit.group(1).upper(), int(hit.group(2)) if hit.group(2) else None)
        if found is not None:
            return found
    same = [m for m in motifs if m.name.lower() == query.lower()]
    if same:
        return min(same, key=lambda m: (m.tax_group != "vertebrates", m.name != query, m.id))
    names = sorted({m.name for m in motifs})
    lower = {n.lower(): n for n in names}
    close = [lower[n] for n in difflib.get_close_matches(query.lower(), list(lower), n=5,
                                                          cutoff=0.6)]
    hint = f" Closest names: {', '.join(close)}." if close else ""
    raise MotifNotFoundError(f"No JASPAR motif named or with ID {query!r} in "
                             f"{JASPAR_RELEASE} {collection}.{hint}")
