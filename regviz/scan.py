"""``python -m regviz.scan``: the same command as ``regviz-scan`` (`regviz.cli.scan`)."""

import sys

from regviz.cli.scan import main

if __name__ == "__main__":
    sys.exit(main())
