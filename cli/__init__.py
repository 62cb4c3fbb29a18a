"""The ``channelperf`` command: one module per command group, mounted in ``cli.main``.

Every module exposes ``app``, a ``typer.Typer``: named for a group (``channelperf db …``),
unnamed for top-level commands (``channelperf metrics``). Commands only parse options, call
the domain packages and print; bad input ends with one clear line and exit code 2
(``cli.common.fail``). This is the only package that imports typer.
"""
