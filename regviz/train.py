"""``python -m regviz.train``: the same command as ``regviz-train`` (`regviz.cli.train`)."""

import sys

from regviz.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
