"""A host command run with a deadline, for the drivers of compose (compose_project.py) and of
podman (tests/stack/podman_kube.py): what failed is raised with the end of its output."""

import subprocess


def run_command(command, error, *, stdin=None, env=None, cwd=None, check=True, timeout):
    """Runs `command` (a list) and returns the finished process. Raises `error` (an exception
    class) when it does not end within `timeout` seconds or, with `check`, exits non-zero."""
    try:
        result = subprocess.run(
            command,
            input=stdin,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise error(f"{' '.join(command)}: no answer within {timeout} s") from exc
    if check and result.returncode != 0:
        raise error(
            f"{' '.join(command)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
        )
    return result
