"""The Job and CronJob controllers: a Job runs pods (up to its parallelism) until
it has its completions, then is Complete; a CronJob creates a Job at each
scheduled time, tracks the active ones and keeps only its history limits.

Limitations: failed Job pods are not retried against `backoffLimit` (the
sandbox's Job pods always succeed), `activeDeadlineSeconds`, indexed completion
and `startingDeadlineSeconds` are ignored, and only the most recent missed
schedule of a CronJob runs.
"""

from __future__ import annotations

import copy
from typing import Any

from krates_desktop.sandbox import clock
from krates_desktop.sandbox.controllers import CRONJOBS, JOBS, Context, live, pod_ready
from krates_desktop.sandbox.cron import CronError, Schedule
from krates_desktop.sandbox.defaults import apply_defaults
from krates_desktop.sandbox.objects import owner_ref

Json = dict[str, Any]
COMPONENT_JOB = "job-controller"
COMPONENT_CRON = "cronjob-controller"
SCHEDULED_AT = "batch.kubernetes.io/cronjob-scheduled-timestamp"


def _condition(type_: str, reason: str, message: str, when: str) -> Json:
    return {
        "type": type_,
        "status": "True",
        "lastProbeTime": when,
        "lastTransitionTime": when,
        "reason": reason,
        "message": message,
    }


def job_finished(job: Json) -> str | None:
    """`Complete` or `Failed` once a Job has ended, else None."""
    for entry in (job.get("status") or {}).get("conditions") or []:
        if (
            entry.get("type") in ("Complete", "Failed")
            and entry.get("status") == "True"
        ):
            return str(entry["type"])
    return None


class Jobs:
    """Runs a Job's pods to completion."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def reconcile(self, job: Json) -> None:
        """Start the pods still needed, or mark the Job complete."""
        if job_finished(job) or job["spec"].get("suspend"):
            return
        ctx = self.ctx
        pods = ctx.owned(job, ("", "pods"))
        succeeded = sum(1 for p in pods if _phase(p) == "Succeeded")
        failed = sum(1 for p in pods if _phase(p) == "Failed")
        active = [p for p in live(pods) if _phase(p) not in ("Succeeded", "Failed")]
        completions = int(job["spec"].get("completions") or 1)
        parallelism = int(job["spec"].get("parallelism") or 1)
        missing = min(parallelism - len(active), completions - succeeded - len(active))
        name = job["metadata"]["name"]
        for _ in range(max(missing, 0)):
            template = job["spec"].get("template") or {}
            ctx.create_pod(
                job, template, f"{name}-{ctx.suffix()}", component=COMPONENT_JOB
            )
        self._status(job, active, succeeded, failed, completions, missing)

    def _status(
        self,
        job: Json,
        active: list[Json],
        succeeded: int,
        failed: int,
        completions: int,
        started: int,
    ) -> None:
        old = job.get("status") or {}
        now = clock.rfc3339(clock.now())
        status: Json = {"startTime": old.get("startTime") or now}
        running = len(active) + max(started, 0)
        if running:
            status["active"] = running
        if succeeded:
            status["succeeded"] = succeeded
        if failed:
            status["failed"] = failed
        status["ready"] = sum(1 for p in active if pod_ready(p))
        status["terminating"] = 0
        status["uncountedTerminatedPods"] = {}
        if succeeded >= completions and not running:
            status["completionTime"] = now
            status["conditions"] = [
                _condition(
                    "SuccessCriteriaMet",
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                    now,
                ),
                _condition(
                    "Complete",
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                    now,
                ),
            ]
            self.ctx.recorder.record(
                job, "Completed", "Job completed", component=COMPONENT_JOB
            )
        self.ctx.set_status(JOBS, job, status)


def _phase(pod: Json) -> str:
    return str((pod.get("status") or {}).get("phase", ""))


class CronJobs:
    """Creates each CronJob's Jobs on schedule and keeps its history short."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def reconcile(self, cron: Json) -> None:
        """Note finished Jobs, trim history, and start the Job that is due."""
        jobs = self.ctx.owned(cron, JOBS)
        status = copy.deepcopy(cron.get("status") or {})
        self._track(cron, jobs, status)
        self._trim(cron, jobs)
        if not cron["spec"].get("suspend"):
            self._maybe_start(cron, jobs, status)
        self.ctx.set_status(CRONJOBS, cron, status)

    def _track(self, cron: Json, jobs: list[Json], status: Json) -> None:
        known = {ref.get("uid"): ref for ref in status.get("active") or []}
        active = []
        for job in jobs:
            finished = job_finished(job)
            if finished is None:
                active.append(known.get(job["metadata"]["uid"]) or _reference(job))
                continue
            when = (job.get("status") or {}).get("completionTime")
            if (
                finished == "Complete"
                and when
                and when > status.get("lastSuccessfulTime", "")
            ):
                status["lastSuccessfulTime"] = when
                self.ctx.recorder.record(
                    cron,
                    "SawCompletedJob",
                    f"Saw completed job: {job['metadata']['name']}, condition: Complete",
                    component=COMPONENT_CRON,
                )
        if active:
            status["active"] = active
        else:
            status.pop("active", None)

    def _trim(self, cron: Json, jobs: list[Json]) -> None:
        limits = {
            "Complete": int(cron["spec"].get("successfulJobsHistoryLimit", 3)),
            "Failed": int(cron["spec"].get("failedJobsHistoryLimit", 1)),
        }
        for outcome, limit in limits.items():
            done = sorted(
                (j for j in jobs if job_finished(j) == outcome),
                key=lambda j: j["metadata"]["creationTimestamp"],
            )
            for job in done[: max(len(done) - limit, 0)]:
                meta = job["metadata"]
                self.ctx.store.delete(
                    self.ctx.kind(JOBS), meta["namespace"], meta["name"]
                )
                self.ctx.recorder.record(
                    cron,
                    "SuccessfulDelete",
                    f"Deleted job {meta['name']}",
                    component=COMPONENT_CRON,
                )

    def _maybe_start(self, cron: Json, jobs: list[Json], status: Json) -> None:
        try:
            schedule = Schedule.parse(cron["spec"].get("schedule", ""))
        except CronError:
            return
        last = status.get("lastScheduleTime") or cron["metadata"]["creationTimestamp"]
        now = clock.now()
        due = schedule.next_after(clock.parse(last))
        if due is None or due > now:
            return
        while (following := schedule.next_after(due)) is not None and following <= now:
            due = following  # only the most recent missed run starts
        status["lastScheduleTime"] = clock.rfc3339(due)
        running = [j for j in jobs if job_finished(j) is None]
        if running and cron["spec"].get("concurrencyPolicy") == "Forbid":
            return
        for job in (
            running if cron["spec"].get("concurrencyPolicy") == "Replace" else []
        ):
            meta = job["metadata"]
            self.ctx.store.delete(self.ctx.kind(JOBS), meta["namespace"], meta["name"])
        job = self._create_job(cron, due)
        status.setdefault("active", []).append(_reference(job))

    def _create_job(self, cron: Json, due: Any) -> Json:
        ctx = self.ctx
        template = copy.deepcopy(cron["spec"].get("jobTemplate") or {})
        name = f"{cron['metadata']['name']}-{int(due.timestamp() // 60)}"
        meta = template.get("metadata") or {}
        obj: Json = {
            "metadata": {
                "name": name,
                "namespace": cron["metadata"]["namespace"],
                "labels": dict(meta.get("labels") or {}),
                "annotations": {
                    **(meta.get("annotations") or {}),
                    SCHEDULED_AT: clock.rfc3339(due),
                },
                "ownerReferences": [owner_ref(cron)],
            },
            "spec": template.get("spec") or {},
        }
        kind = ctx.kind(JOBS)
        apply_defaults(kind, obj)
        job = ctx.store.create(kind, obj)
        ctx.recorder.record(
            cron, "SuccessfulCreate", f"Created job {name}", component=COMPONENT_CRON
        )
        return job


def _reference(job: Json) -> Json:
    meta = job["metadata"]
    return {
        "kind": "Job",
        "namespace": meta["namespace"],
        "name": meta["name"],
        "uid": meta["uid"],
        "apiVersion": "batch/v1",
        "resourceVersion": meta.get("resourceVersion", ""),
    }
