"""`python -m bench`: the per-network speed and memory table of bench/run.py."""

import sys

from bench.run import main

sys.exit(main())
