import sys

from valueroom.cli import main

sys.exit(main())
