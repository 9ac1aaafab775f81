"""Log formatters: the JSON lines of visitors/json_logs.py's configuration."""

from pythonjsonlogger.json import JsonFormatter

# What a line may hold, in this order; anything else a record carries is left out. Django
# passes the request object along (its repr holds the query string), and no extra a caller
# adds can bring a visitor's data or a header into the logs.
FIELDS = ("time", "level", "logger", "message", "request_id", "status_code", "exception", "stack")


class JsonLines(JsonFormatter):
    """time (ISO 8601, UTC), level, logger, message, request_id (visitors/request_id.py),
    Django's status_code, and an exception's traceback or a stack as one string each."""

    def __init__(self):
        super().__init__(
            ["levelname", "name", "message", "request_id"],
            rename_fields={
                "levelname": "level",
                "name": "logger",
                "exc_info": "exception",
                "stack_info": "stack",
            },
            timestamp="time",
        )

    def process_log_record(self, log_data):
        return {name: log_data[name] for name in FIELDS if name in log_data}
