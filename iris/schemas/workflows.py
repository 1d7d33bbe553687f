from typing import Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from iris.schemas.fields import Input, text

SLUG = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
WorkflowName = Annotated[str, Field(min_length=1, max_length=50, pattern=SLUG)]
StatusName = text(50, required=True)
TransitionName = text(50, required=True)


class TransitionDef(Input):
    name: TransitionName
    from_: StatusName = Field(alias="from")
    to: StatusName


class WorkflowDefinition(Input):
    """A workflow as PUT /workflows/{name} takes it. Missing `initial` is a rule broken (422), not a malformed body."""

    REFUSED = {"name": "is taken from the URL"}

    initial: StatusName = Field(None, description="the status new tickets start in")
    statuses: list[StatusName] = Field(max_length=50)
    closed: list[StatusName] = Field([], max_length=50, description="statuses that count as closed")
    transitions: list[TransitionDef] = Field([], max_length=500)
    version: int = Field(
        None, ge=1, le=2_147_483_647, description="replacing: the version you read, instead of If-Match"
    )


class TransitionRequest(Input):
    """Move a ticket: name the target status (`to`) or the transition, not both."""

    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra={"oneOf": [{"required": ["to"]}, {"required": ["transition"]}]}
    )

    to: StatusName = None
    transition: TransitionName = None
    comment: Optional[text(10_000, required=True)] = Field(
        None, description="stored as a comment in the same transaction"
    )
    author: text(100, required=True) = Field("anonymous", description="the comment's author")
    version: int = Field(
        None, ge=1, le=2_147_483_647, description="the ticket version you read: an alternative to If-Match"
    )

    @model_validator(mode="after")
    def _exactly_one_target(self):
        if (self.to is None) == (self.transition is None):
            raise ValueError("give exactly one of `to` (a status) or `transition` (a transition's name)")
        return self


class TransitionOut(BaseModel):
    name: str
    from_: str = Field(alias="from")
    to: str


class WorkflowOut(BaseModel):
    name: str
    version: int
    initial: str
    statuses: list[str]
    closed: list[str]
    transitions: list[TransitionOut]


class TransitionOption(BaseModel):
    name: str
    to: str


class TransitionsOut(BaseModel):
    ticket_id: int
    workflow: str
    status: str
    transitions: list[TransitionOption]


class TransitionRefused(BaseModel):
    """A move the workflow does not allow: what is wrong, and the moves that are allowed."""

    errors: dict[str, str]
    allowed: list[TransitionOption]


def workflow_json(definition) -> dict[str, Any]:
    return {
        "name": definition.name,
        "version": definition.version,
        "initial": definition.initial,
        "statuses": list(definition.statuses),
        "closed": list(definition.closed),
        "transitions": [{"name": t.name, "from": t.from_status, "to": t.to_status} for t in definition.transitions],
    }
