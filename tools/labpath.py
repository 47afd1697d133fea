"""Put this tree's test library (test/) first on the import path.

The one place in the tree that edits sys.path. The Python here is one
package in three tiers, and imports run one way (test/structure_tests.py
holds the rule):

  library  test/*.py but the suites and run.py: harness, gradelib,
           graderun, report, ports, sandbox, submission ...; imports
           nothing from the tiers above it.
  suites   test/*_tests.py: import the library only, never another suite
           or a tool (a suite runs a tool as a subprocess).
  tools    tools/*.py, grade-lab-cow, tools/gradescope/run_autograder and
           test/run.py (the suites' runner): command lines over the library.

test/run.py and the suites find the library as Python finds any module
beside the script it runs. A tool in tools/ imports this module first;
grade-lab-cow and run_autograder, which live elsewhere, run this file by
its path (runpy.run_path) in the tree whose library they trust: their own
(run_autograder: the instructor's source, never a submission's).
"""

import os
import sys

TREE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBRARY = os.path.join(TREE, "test")

if LIBRARY not in sys.path:
    sys.path.insert(0, LIBRARY)
