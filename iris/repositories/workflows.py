"""Workflow definitions: read whole, locked, and replaced."""

from dataclasses import dataclass
from typing import Optional, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from iris.models import Ticket, Workflow, WorkflowStatus, WorkflowTransition


@dataclass(frozen=True)
class Definition:
    """A workflow read in full: its statuses in order, the closed ones, and its transitions."""

    name: str
    version: int
    initial: str
    statuses: tuple[str, ...]
    closed: tuple[str, ...]  # in status order
    transitions: tuple[WorkflowTransition, ...]

    def moves_from(self, status: str) -> list[WorkflowTransition]:
        return [t for t in self.transitions if t.from_status == status]


class WorkflowRepository:
    def __init__(self, session: Session):
        self.session = session

    def names(self, *, after: Optional[str] = None, limit: Optional[int] = None) -> Sequence[str]:
        """Workflow names in byte order (the same on every database, whatever its collation), after `after`."""
        name = Workflow.name.collate("C")
        query = select(Workflow.name).order_by(name).limit(limit)
        if after is not None:
            query = query.where(name > after)
        return self.session.scalars(query).all()

    def status_names(self) -> set[str]:
        """Every status of every workflow: a ticket can be in no other."""
        return set(self.session.scalars(select(WorkflowStatus.name).distinct()))

    def get(self, name: str) -> Optional[Definition]:
        return self.get_many([name]).get(name)

    def get_many(self, names: Sequence[str]) -> dict[str, Definition]:
        """Definitions of the named workflows, in three queries whatever their number."""
        workflows = self.session.scalars(select(Workflow).where(Workflow.name.in_(names))).all()
        if not workflows:
            return {}
        found = [w.name for w in workflows]
        statuses = self.session.scalars(
            select(WorkflowStatus).where(WorkflowStatus.workflow.in_(found)).order_by(WorkflowStatus.position)
        ).all()
        transitions = self.session.scalars(
            select(WorkflowTransition)
            .where(WorkflowTransition.workflow.in_(found))
            .order_by(WorkflowTransition.from_status, WorkflowTransition.name, WorkflowTransition.to_status)
        ).all()
        return {
            w.name: Definition(
                name=w.name,
                version=w.version,
                initial=w.initial_status,
                statuses=tuple(s.name for s in statuses if s.workflow == w.name),
                closed=tuple(s.name for s in statuses if s.workflow == w.name and s.is_closed),
                transitions=tuple(t for t in transitions if t.workflow == w.name),
            )
            for w in workflows
        }

    def moves_from(self, workflow: str, status: str) -> Sequence[WorkflowTransition]:
        """The moves allowed from `status`, in one query (a ticket's page lists them; it needs no more)."""
        return self.session.scalars(
            select(WorkflowTransition)
            .where(WorkflowTransition.workflow == workflow, WorkflowTransition.from_status == status)
            .order_by(WorkflowTransition.name, WorkflowTransition.to_status)
        ).all()

    def tickets_in(self, workflow: str, statuses: Sequence[str]) -> dict[str, int]:
        rows = self.session.execute(
            select(Ticket.status, func.count())
            .where(Ticket.workflow == workflow, Ticket.status.in_(statuses))
            .group_by(Ticket.status)
        ).all()
        return dict(rows)

    def lock(self, name: str) -> None:
        """Serialise writers of one workflow's definition (two PUTs at once, or a PUT and a ticket move)."""
        self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext("workflow:" + name))))

    def replace(
        self,
        name: str,
        initial: str,
        statuses: Sequence[str],
        closed: set[str],
        transitions: Sequence[tuple[str, str, str]],
    ) -> None:
        """Make the stored workflow exactly this definition; statuses that go must have no tickets."""
        self._upsert_workflow(name, initial)
        self.session.execute(delete(WorkflowTransition).where(WorkflowTransition.workflow == name))
        self.session.execute(
            delete(WorkflowStatus).where(WorkflowStatus.workflow == name, WorkflowStatus.name.not_in(statuses))
        )
        for position, status in enumerate(statuses):
            self._upsert_status(name, status, status in closed, position)
        if transitions:
            self.session.execute(
                insert(WorkflowTransition),
                [{"workflow": name, "from_status": f, "to_status": t, "name": n} for n, f, t in transitions],
            )

    def _upsert_workflow(self, name: str, initial: str) -> None:
        self.session.execute(
            insert(Workflow)
            .values(name=name, initial_status=initial)
            .on_conflict_do_update(
                index_elements=[Workflow.name], set_={"initial_status": initial, "version": Workflow.version + 1}
            )
        )

    def _upsert_status(self, workflow: str, status: str, closed: bool, position: int) -> None:
        self.session.execute(
            insert(WorkflowStatus)
            .values(workflow=workflow, name=status, is_closed=closed, position=position)
            .on_conflict_do_update(
                index_elements=[WorkflowStatus.workflow, WorkflowStatus.name],
                set_={"is_closed": closed, "position": position},
            )
        )
