"""Log lines: one JSON object per line (IRIS_LOG_FORMAT=json, the default) or human-readable text.

iris and gunicorn both log through the standard library; structlog's ProcessorFormatter renders every
record, whoever wrote it, and adds the request id of the request being served (bound in a context
variable by iris/api/request_log.py; gevent gives each greenlet its own context).
"""

import logging

import structlog

LOG_FORMATS = ("json", "text")


def _shared_processors() -> list:
    return [
        structlog.contextvars.merge_contextvars,  # request_id, while a request is being served
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),  # `extra={...}` fields, e.g. the access line's
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _renderer(log_format: str):
    if log_format == "text":
        return structlog.dev.ConsoleRenderer(colors=False)
    return structlog.processors.JSONRenderer()


def formatter(log_format: str) -> structlog.stdlib.ProcessorFormatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _renderer(log_format),
        ],
    )


def gunicorn_log_config(log_format: str, level: str) -> dict:
    """For gunicorn's `logconfig_dict`: applied in the master before the workers fork, so every process
    (iris's loggers, gunicorn's, the root) writes the same kind of line to stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "iris", "stream": "ext://sys.stderr"}
    gunicorns = {"level": level, "handlers": ["iris"], "propagate": False}
    # gunicorn's access line would be a second one per request, without the request id: iris writes its own.
    no_access = {"level": "CRITICAL", "handlers": [], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"iris": {"()": formatter, "log_format": log_format}},
        "handlers": {"iris": handler},
        "root": {"level": level, "handlers": ["iris"]},
        "loggers": {"gunicorn.error": gunicorns, "gunicorn.access": no_access},
    }


def configure_for_commands(log_format: str, level: str) -> None:
    """The same lines for the other `iris` commands (a root handler on stderr)."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("iris.access").setLevel(logging.NOTSET)  # quiet for the other commands; `iris serve` logs them
