"""``python -m modelswap`` runs the CLI."""

from modelswap.cli import main

if __name__ == "__main__":  # a worker process of a streamed comparison imports this module without running it
    main()
