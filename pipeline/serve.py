"""`feidan serve`: the audit flow as a scheduled Prefect deployment.

Scheduling needs a real Prefect server (the temporary API of `feidan run` lives only as
long as one run). The served process polls the server for due runs and executes each in
a child process, one at a time (the warehouse has one writer); every run loads what has
landed in the inbox and audits the newest month.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from pipeline.audit_params import AuditParams

START_SERVER = ("start one with `prefect server start` (UI and API on http://127.0.0.1:4200) and set "
                "PREFECT_API_URL=http://127.0.0.1:4200/api — see the README, 'Scheduling on a Prefect server'")


class ServeError(RuntimeError):
    pass


def serve_audit(params: AuditParams, cron: str, timezone: str, name: str,
                say: Callable[[str], None] = print) -> None:
    from pipeline.runtime import prefect_defaults

    prefect_defaults()  # before Prefect reads its settings
    from prefect import serve
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.schedules import Cron
    from prefect.settings import PREFECT_API_URL
    from prefect.types.entrypoint import EntrypointType
    from pydantic import ValidationError

    from pipeline.flow import audit

    url = PREFECT_API_URL.value()
    if not url:
        raise ServeError("PREFECT_API_URL is not set: the temporary API of `feidan run` cannot keep a "
                         f"schedule; {START_SERVER}")
    try:
        CronSchedule(cron=cron, timezone=timezone)
    except ValidationError as exc:
        raise ServeError(f"bad schedule {cron!r} / {timezone!r}: "
                         + "; ".join(e["msg"] for e in exc.errors())) from None
    with get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is not None:
        raise ServeError(f"no Prefect server answers at {url} ({problem}); {START_SERVER}")
    params = params.resolved()
    # Served runs execute in child processes that import our packages with the working
    # directory first on sys.path: a folder there named like one of them (`reports/out`,
    # the default output folder, run from elsewhere than the project) would shadow it.
    # The output folder holds only run folders, so it is a safe place to run from.
    params.out.mkdir(parents=True, exist_ok=True)
    os.chdir(params.out)
    deployment = audit.to_deployment(
        name=name,
        schedules=[Cron(cron, timezone=timezone)],
        parameters={"params": params.model_dump(mode="json")},
        # the installed package, not a file path: runs work from any directory
        entrypoint_type=EntrypointType.MODULE_PATH,
        description=f"Monthly audit: loads the exports in {params.inbox}, audits the newest month.",
        tags=["feidan"],
    )
    say(f"serving flow 'audit' as deployment 'audit/{name}' on {url}: cron {cron!r} ({timezone}), "
        f"inbox {params.inbox}")
    serve(deployment, limit=1)  # one run at a time: the warehouse has one writer
