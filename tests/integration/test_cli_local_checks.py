"""`local`'s up-front checks (issue #18): a bad --secrets-out or a taken --port is one line, exit 2, before the
model loads or the stack deploys; a port left in TIME_WAIT by a closed connection is not "taken"."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest
import typer
from ticket_sentiment_tools.cli import app
from typer.testing import CliRunner

runner = CliRunner()


class StartedError(Exception):
    """Raised where the model would load: the options passed their checks."""


@pytest.fixture
def nothing_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stops the command where the model would load (or the stack deploy): the checks must come before."""

    def started(*_args: Any, **_kwargs: Any) -> None:
        raise StartedError

    monkeypatch.setattr("ticket_sentiment_tools.cli.local.load_scorer", started)
    monkeypatch.setattr("ticket_sentiment_tools.local_stack.run_local", started)


def _one_line_error(result: typer.testing.Result) -> str:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.usefixtures("nothing_starts")
def test_secrets_out_in_a_missing_folder_is_refused_before_the_deploy(tmp_path: Path) -> None:
    target = tmp_path / "nonexistdir" / "x.json"
    result = runner.invoke(app, ["local", "--serve", "--port", str(_free_port()), "--secrets-out", str(target)])
    assert result.exit_code == 2, result.output
    line = _one_line_error(result)
    assert "--secrets-out" in line
    assert "does not exist" in line


@pytest.mark.usefixtures("nothing_starts")
@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_secrets_out_in_a_read_only_folder_is_refused_before_the_deploy(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        args = ["local", "--serve", "--port", str(_free_port()), "--secrets-out", str(folder / "x.json")]
        result = runner.invoke(app, args)
    finally:
        folder.chmod(0o700)
    assert result.exit_code == 2, result.output
    assert "not writable" in _one_line_error(result)


@pytest.mark.usefixtures("nothing_starts")
def test_secrets_out_naming_a_folder_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["local", "--serve", "--port", str(_free_port()), "--secrets-out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "is a folder" in _one_line_error(result)


@pytest.mark.usefixtures("nothing_starts")
def test_secrets_out_without_serve_is_refused_not_ignored(tmp_path: Path) -> None:
    result = runner.invoke(app, ["local", "--secrets-out", str(tmp_path / "x.json")])
    assert result.exit_code == 2, result.output
    assert "needs --serve" in _one_line_error(result)


def _port_in_time_wait() -> int:
    """A port whose server closed a connection first, so that side of it sits in TIME_WAIT, then stopped
    listening: free for a server that allows address reuse, as `local --serve`'s does. The first server allowed
    it too (as http.server and most servers do; Linux reuses a TIME_WAIT port only when both sides asked)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = int(listener.getsockname()[1])
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = listener.accept()
            accepted.close()  # the server side closes first: it is the side left in TIME_WAIT
            client.recv(1)  # the FIN arrived
    return port


@pytest.mark.usefixtures("nothing_starts")
def test_a_port_in_time_wait_is_not_taken() -> None:
    port = _port_in_time_wait()
    # the attack's precondition: a plain bind (the old probe) is refused
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as plain, pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))
    result = runner.invoke(app, ["local", "--serve", "--port", str(port)])
    assert isinstance(result.exception, StartedError), result.output
