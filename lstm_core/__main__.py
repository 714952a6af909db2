import sys

from lstm_core.cli import main

sys.exit(main())
