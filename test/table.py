"""A Markdown table, the one the generated docs and the tools print."""


def table(header, rows):
    """header (a list of column titles) and rows (lists of cells, any type)
    as the lines of a Markdown table, joined."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
