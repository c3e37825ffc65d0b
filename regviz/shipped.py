"""``python -m regviz.shipped``: the same command as ``regviz-shipped`` (`regviz.cli.shipped`)."""

import sys

from regviz.cli.shipped import main

if __name__ == "__main__":
    sys.exit(main())
