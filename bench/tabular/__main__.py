"""``python -m bench.tabular``: see :mod:`bench.tabular.run`."""

from __future__ import annotations

import sys

from bench.tabular.run import main

sys.exit(main())
