"""``python -m hwsim``: the same as the ``hwsim`` command."""

import sys

from hwsim.cli import main

if __name__ == "__main__":
    sys.exit(main())
