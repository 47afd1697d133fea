"""Where the C functions of a source text are, for suites that check
what docs or measurements say about them."""

import re

# A line that starts a function's definition: its name, then "(" and no ";".
C_DEFINITION = re.compile(r"^(?:[\w*]+ +)*\**(\w+)\([^;]*$")


def function_lines(text):
    """{name: [(first line, last line)]} of the C functions text defines:
    from a definition at the start of a line to the next line starting '}'."""
    lines = text.split("\n")
    found = {}
    for number, line in enumerate(lines, 1):
        definition = C_DEFINITION.match(line)
        if definition:
            end = next((n for n in range(number, len(lines) + 1)
                        if lines[n - 1].startswith("}")), None)
            if end is not None:
                found.setdefault(definition.group(1), []).append((number, end))
    return found
