"""What every client transcript script here shares (tests/it/clients.rs runs each script
against Strata and PostgreSQL 15 and compares what it prints): sections, run in the order
they are defined, and one line per result."""

SECTIONS = []


def section(fn):
    """Registers `fn` as the transcript's next section."""
    SECTIONS.append(fn)
    return fn


def show(*values):
    """One transcript line: the values' reprs joined by ' | '."""
    print(" | ".join(repr(v) for v in values))
