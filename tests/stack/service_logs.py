"""The stack's logs, read as what they are: JSON, one object a line (nginx's access log and
the app's Django and gunicorn lines alike)."""

import json

from hosttools.waiting import wait_until


def log_lines(stack, service):
    """Every line the service's containers wrote, parsed; a line that is not a JSON object
    fails the test that reads it."""
    output = stack.run("logs", "--no-color", "--no-log-prefix", service).stdout
    lines = []
    for text in output.splitlines():
        try:
            line = json.loads(text)
        except ValueError:
            line = None
        assert isinstance(line, dict), f"not a JSON object in {service}'s log: {text[:300]!r}"
        lines.append(line)
    return lines


def lines_of(stack, service, request_id, count=1):
    """The service's lines for one request, once there are `count` of them (logs arrive a
    moment after the answer)."""

    def found():
        lines = [line for line in log_lines(stack, service) if line.get("request_id") == request_id]
        return lines if len(lines) >= count else None

    return wait_until(found, 30, f"{count} line(s) of {service}'s log for {request_id}")


def access_line(stack, request_id):
    """nginx's access log line for the request with this id."""
    (line,) = lines_of(stack, "web", request_id)
    return line
