#!/usr/bin/env python3
"""Write the COW lab's starter tree: the solved tree minus the solution.

Usage: tools/handout.py [--level standard|guided] [--with-solution |
                        --with-solution-from FILE] OUTDIR
(OUTDIR must not exist yet; the level defaults to standard.  With
--with-solution the starter gets our solution back; with
--with-solution-from, the one in FILE, whose sections "== <file>: <task>"
each hold the code for the region of that file whose BEGIN names that
task (lines before the first section are a note).  That is the tree of a
student with a correct solution, which must pass everything the starter
ships: handout_tests.py.)
       tools/handout.py --readme     (README from tools/README.in)

test/starter.py says what the markers in the sources and docs become.
"""
import argparse
import os
import shutil
import sys

import labpath
from starter import (LEVELS, OURS, README, README_TEMPLATE, SOLVED,  # noqa: E402  (labpath)
                     HandoutError, MarkerError, make_repository, read_solution, rendered_readme,
                     write_handout)


def main(argv):
    parser = argparse.ArgumentParser(prog="tools/handout.py",
                                     description="Write the COW lab's starter tree.")
    parser.add_argument("--level", choices=LEVELS, default="standard",
                        help="how much help the starter gives (default standard)")
    parser.add_argument("--readme", action="store_true",
                        help="instead, write README from %s for this (solved) tree"
                        % README_TEMPLATE)
    solutions = parser.add_mutually_exclusive_group()
    solutions.add_argument("--with-solution", action="store_const", const=OURS, dest="solution",
                           help="put our solution back into the starter: a correct "
                           "solution's tree, for tests")
    solutions.add_argument("--with-solution-from", metavar="FILE", dest="solution",
                           help="the same with the solution in FILE (see the top)")
    parser.add_argument("outdir", nargs="?", help="the directory to create")
    options = parser.parse_args(argv[1:])
    root = labpath.TREE
    if options.readme:
        with open(os.path.join(root, README), "w", encoding="utf-8") as f:
            f.write(rendered_readme(root, SOLVED))
        print("handout: wrote README from %s" % README_TEMPLATE)
        return
    if options.outdir is None:
        parser.error("the directory to create is missing")
    solution = options.solution
    if solution not in (None, OURS):
        try:
            solution = read_solution(solution)
        except (OSError, MarkerError) as e:
            sys.exit("handout: cannot read the solution: %s" % e)
    try:
        regions = write_handout(root, options.outdir, options.level, solution)
    except HandoutError as e:   # nothing written yet
        sys.exit("handout: %s" % e)
    except MarkerError as e:
        shutil.rmtree(options.outdir, ignore_errors=True)
        sys.exit("handout: %s" % e)
    what = "put back" if options.solution else "removed"
    print("handout: wrote the %s starter tree to %s (%d solution regions %s), %s"
          % (options.level, options.outdir, regions, what, make_repository(options.outdir)))


if __name__ == "__main__":
    main(sys.argv)
