"""``python -m modelswap`` runs the CLI."""

from modelswap.cli import main

main()
