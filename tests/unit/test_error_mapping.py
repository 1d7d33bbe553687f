"""iris/api/error_handlers.py: which database errors a running server blames on its schema."""

import falcon
import falcon.testing
import pytest
from sqlalchemy.exc import ProgrammingError

from iris.api.error_handlers import ApiError, schema_missing


class DriverError(Exception):
    def __init__(self, pgcode: str):
        super().__init__(f"SQLSTATE {pgcode}")
        self.pgcode = pgcode


@pytest.mark.parametrize("pgcode,status", [("42P01", "503"), ("42703", "503"), ("42601", "500"), ("42883", "500")])
def test_only_a_missing_table_or_column_is_blamed_on_the_schema(pgcode, status):
    req = falcon.Request(falcon.testing.create_environ(method="GET", path="/tickets"))
    with pytest.raises(ApiError) as raised:
        schema_missing(req, None, ProgrammingError("SELECT 1", {}, DriverError(pgcode)), {})
    assert raised.value.status.startswith(status)
