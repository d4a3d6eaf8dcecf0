"""`python -m generator` runs the same CLI as the `aftersales` command."""

from generator.cli import main

main()
