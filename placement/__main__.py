"""`python -m placement` runs the command line."""

from placement.cli import main

main()
