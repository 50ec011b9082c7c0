"""`python -m adserver ...` is the `adserver` command (the dev command starts children this way)."""

from .cli import main

main()
