"""``python -m newsclass`` runs the command line."""

import sys

from newsclass.cli import main

sys.exit(main())
