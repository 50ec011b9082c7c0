"""`python -m adserver.cli`: the same CLI as the `adserver` console script."""

from . import main

main()
