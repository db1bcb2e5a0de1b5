"""``python -m lowrank demo | bench | info``; the commands live in :mod:`lowrank._cli`."""

import sys


def main(argv=None):
    """Run a ``python -m lowrank`` command and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Command and arguments; ``sys.argv[1:]`` when None.

    Returns
    -------
    code : int
        The command's exit status.
    """
    from lowrank._cli import main as cli_main  # imported here: `import lowrank` stays light

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
