"""`python -m hamming_site build-site ...` / `python -m hamming_site site-eval ...` (the console scripts' twins)."""

import sys

from hamming_site.builder.cli import build_main, eval_main

if __name__ == "__main__":
    commands = {"build-site": build_main, "site-eval": eval_main}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit("usage: python -m hamming_site {build-site,site-eval} ...")
    sys.exit(commands[sys.argv[1]](sys.argv[2:]))
