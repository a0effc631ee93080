/**
 * service.job.schedule, service.job.start, service.job.complete, service.job.cancel,
 * service.job.reschedule, service.job.assign, service.job.get, service.job.list
 *
 * Commands read the job with a row lock; which action applies in which status is
 * `domain/JobRules.ts`, and anything else is 409 JOB_TRANSITION_NOT_ALLOWED.
 */
import { implement } from "@tessera/contract-server/Implementation"
import { JobCompleted, JobScheduled } from "@tessera/contracts/service-business/Events"
import {
  AssignJob,
  CancelJob,
  CompleteJob,
  GetJob,
  type Job,
  type JobAction,
  JobTransitionNotAllowed,
  ListJobs,
  QuoteClientMismatch,
  QuoteNotAccepted,
  RescheduleJob,
  ScheduleJob,
  StartJob
} from "@tessera/contracts/service-business/Jobs"
import { DEFAULT_LIMIT } from "@tessera/contracts/service-business/Shared"
import { Effect } from "effect"
import { afterCursor, paginate } from "../domain/Cursor.ts"
import { canApply } from "../domain/JobRules.ts"
import { ServiceIds } from "../domain/ServiceIds.ts"
import { type JobChange, JobRepository } from "../repositories/JobRepository.ts"
import { clientOf, jobOf, now, quoteOf } from "./Common.ts"

export const scheduleJob = implement(ScheduleJob, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const organizationId = actor.organizationId
    yield* clientOf(organizationId, input.clientId)
    if (input.quoteId !== undefined) {
      const quote = yield* quoteOf(organizationId, input.quoteId)
      if (quote.status !== "accepted") {
        return yield* new QuoteNotAccepted({
          quoteId: quote.id,
          quoteStatus: quote.status,
          detail: `Quote ${quote.id} is ${quote.status}; a job carries an accepted quote.`
        })
      }
      if (quote.clientId !== input.clientId) {
        return yield* new QuoteClientMismatch({
          quoteId: quote.id,
          clientId: input.clientId,
          detail: `Quote ${quote.id} was made for another client than ${input.clientId}.`
        })
      }
    }
    const job = yield* Effect.flatMap(JobRepository, (jobs) =>
      Effect.gen(function* () {
        return yield* jobs.insert({
          organizationId,
          id: yield* Effect.flatMap(ServiceIds, (ids) => ids.next("job")),
          clientId: input.clientId,
          quoteId: input.quoteId ?? null,
          type: input.type,
          scheduledAt: input.date,
          durationMinutes: input.durationMinutes ?? null,
          assigneeId: input.assigneeId ?? null,
          location: input.location ?? null,
          createdBy: actor.userId,
          at: yield* now
        })
      })
    )
    yield* emit(JobScheduled, {
      jobId: job.id,
      clientId: job.clientId,
      quoteId: job.quoteId,
      type: job.type,
      scheduledAt: job.date,
      assigneeId: job.assigneeId
    })
    return job
  })
)

const pastTense: Record<JobAction, string> = {
  start: "started",
  complete: "completed",
  cancel: "cancelled",
  reschedule: "rescheduled",
  assign: "assigned"
}

/** The job, locked, if `action` applies to it in its status; the change written. */
const transition = (organizationId: string, jobId: string, action: JobAction, change: JobChange) =>
  Effect.gen(function* () {
    const job = yield* jobOf(organizationId, jobId, true)
    if (!canApply(job.status, action)) {
      return yield* new JobTransitionNotAllowed({
        jobId: job.id,
        jobStatus: job.status,
        action,
        detail: `Job ${job.id} is ${job.status}: it cannot be ${pastTense[action]}.`
      })
    }
    return yield* Effect.flatMap(JobRepository, (jobs) =>
      Effect.flatMap(now, (at) => jobs.change(organizationId, job.id, change, at))
    )
  })

const completedAtOf = (job: Job) =>
  job.completedAt === null
    ? Effect.die(`job ${job.id} is completed without completedAt`)
    : Effect.succeed(job.completedAt)

export const startJob = implement(StartJob, (input, { actor }) =>
  transition(actor.organizationId, input.jobId, "start", { _tag: "start" })
)

export const completeJob = implement(CompleteJob, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const job = yield* transition(actor.organizationId, input.jobId, "complete", {
      _tag: "complete",
      notes: input.notes ?? null
    })
    yield* emit(JobCompleted, {
      jobId: job.id,
      clientId: job.clientId,
      quoteId: job.quoteId,
      type: job.type,
      assigneeId: job.assigneeId,
      completedAt: yield* completedAtOf(job)
    })
    return job
  })
)

export const cancelJob = implement(CancelJob, (input, { actor }) =>
  transition(actor.organizationId, input.jobId, "cancel", { _tag: "cancel", reason: input.reason })
)

export const rescheduleJob = implement(RescheduleJob, (input, { actor }) =>
  transition(actor.organizationId, input.jobId, "reschedule", {
    _tag: "reschedule",
    date: input.date,
    durationMinutes: input.durationMinutes
  })
)

export const assignJob = implement(AssignJob, (input, { actor }) =>
  transition(actor.organizationId, input.jobId, "assign", { _tag: "assign", assigneeId: input.assigneeId })
)

export const getJob = implement(GetJob, (input, { actor }) => jobOf(actor.organizationId, input.jobId))

export const listJobs = implement(ListJobs, (input, { actor }) =>
  Effect.gen(function* () {
    const limit = input.limit ?? DEFAULT_LIMIT
    const after = yield* afterCursor(input.cursor, "service.job.list")
    const rows = yield* Effect.flatMap(JobRepository, (jobs) =>
      jobs.list(
        actor.organizationId,
        {
          status: input.status,
          clientId: input.clientId,
          assigneeId: input.assigneeId,
          from: input.from,
          to: input.to
        },
        limit,
        after
      )
    )
    return paginate(rows, limit, (job) => [job.date, job.id])
  })
)
