"""Argument types shared by the management commands."""


def whole_number(value):
    """A non-negative integer; argparse turns the ValueError into a clear usage error."""
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number
