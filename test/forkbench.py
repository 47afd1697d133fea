"""forkbench's output (user/forkbench.c), read into figures, and
orderbench's result lines (user/orderbench.c).

Shared by tools/perf.py, which measures fork with them, and the bench,
shared and cowdemo suites, which check what they print.
"""

import re

LINE_PREFIX = "forkbench "
DONE_LINE = "forkbench done"
# orderbench: one script's COW work under one fork order.
ORDER_LINE = re.compile(r"^orderbench script=(\w+) order=(\w+) commands=\d+ cow_faults=(\d+) "
                        r"pages_copied=(\d+) pages_reused=(\d+)$", re.M)


def parse_forkbench(output):
    """Parse forkbench's output into (figures, failures, done).

    figures maps (fig, heap_mb) to a dict of that line's key=value tokens
    (values that are numbers become ints); failures maps heap_mb to the
    line's tokens for lines without fig= (fork=failed, sbrk=failed); done
    says whether the closing "forkbench done" line came. Raises ValueError
    on a forkbench line that does not parse.
    """
    figures, failures, done = {}, {}, False
    for line in output.splitlines():
        line = line.strip()
        if line == DONE_LINE:
            done = True
            continue
        if not line.startswith(LINE_PREFIX):
            continue
        tokens = {}
        for token in line[len(LINE_PREFIX):].split():
            key, equals, value = token.partition("=")
            if not equals or not key or not value:
                raise ValueError("forkbench line %r: %r is not key=value" % (line, token))
            tokens[key] = int(value) if re.fullmatch(r"-?\d+", value) else value
        if not isinstance(tokens.get("heap_mb"), int):
            raise ValueError("forkbench line %r has no numeric heap_mb" % line)
        if "fig" in tokens:
            figures[(tokens["fig"], tokens["heap_mb"])] = tokens
        else:
            failures[tokens["heap_mb"]] = tokens
    return figures, failures, done
