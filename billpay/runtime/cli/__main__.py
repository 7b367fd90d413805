"""`python -m billpay.runtime.cli`: the `billpay` command."""

import sys

from billpay.runtime.cli import main

sys.exit(main())
