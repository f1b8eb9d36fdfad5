"""``python -m gemlib``."""

import sys

from gemlib.cli import main

sys.exit(main())
