"""`python -m accelsim` runs the CLI."""

import sys

from accelsim.cli.main import main

sys.exit(main())
