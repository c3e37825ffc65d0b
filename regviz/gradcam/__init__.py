"""Grad-CAM: where in a long window a classifier sees the enhancer, and region scans.

* `regviz.gradcam.cam`: :func:`gradcam` on a conv block, mapped to base resolution;
  :func:`layer_resolution`; :func:`call_cores`.
* `regviz.gradcam.scan`: :func:`scan_region` tiles a genome region, merges the
  windows' tracks and calls cores (BED / BEDGraph out).
* `regviz.gradcam.evaluate`: localisation of planted cores on a synthetic set;
  :func:`score_calls` scores a scan's calls against a BED of known cores.
* `regviz.gradcam.demo`: the demo genome with planted enhancer cores
  (:func:`demo_genome_path`, :func:`demo_cores_path`).
"""

from regviz.gradcam.cam import (DECODE_BIN_BP, call_cores, default_layer, gradcam, gradcam_layers,
                                input_bin_size, is_gradcam_model, layer_resolution,
                                position_centres, to_base_resolution)
from regviz.gradcam.demo import (DEMO_OPTIONS, cores_beside, demo_cores_path, demo_genome_path,
                                 demo_sites_path, make_demo_genome, planted_demo)
from regviz.gradcam.evaluate import (dataset_inputs, held_out_cores, localisation, score_calls,
                                     window_truth)
from regviz.gradcam.scan import (EDGES, ScanResult, read_track_table, read_window_tracks,
                                 scan_region, track_to_bedgraph)

__all__ = [
    "DECODE_BIN_BP", "DEMO_OPTIONS", "EDGES", "ScanResult", "call_cores", "cores_beside",
    "dataset_inputs", "default_layer", "demo_cores_path", "demo_genome_path", "demo_sites_path",
    "gradcam", "gradcam_layers", "held_out_cores", "input_bin_size", "is_gradcam_model",
    "layer_resolution", "localisation", "make_demo_genome", "planted_demo", "position_centres",
    "read_track_table", "read_window_tracks", "scan_region", "score_calls",
    "to_base_resolution", "track_to_bedgraph", "window_truth",
]
