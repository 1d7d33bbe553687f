from pydantic import BaseModel


class ErrorBody(BaseModel):
    """Every error: each offending field, parameter or topic with what is wrong."""

    errors: dict[str, str]


class HealthOut(BaseModel):
    status: str
    database: str
