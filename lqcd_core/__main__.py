import sys

from lqcd_core.cli.main import main

sys.exit(main())
