/**
 * Jobs: a piece of work for a client at a date, optionally backed by an accepted quote.
 *
 *     scheduled ──start──▶ in_progress ──complete──▶ completed
 *         │ ▲                  │
 *         │ └─reschedule       │
 *         └──────cancel────────┴──▶ cancelled
 *
 * A scheduled job may also be completed directly (work recorded after the fact). Any other move is
 * refused with 409 JOB_TRANSITION_NOT_ALLOWED, naming the job's status and the action tried.
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"
import { JobCompleted, JobScheduled, JobType } from "./Events.ts"
import { QuoteStatus } from "./Quotes.ts"
import {
  ClientId,
  ClientNotFound,
  Cursor,
  InvalidCursor,
  JobId,
  JobNotFound,
  Limit,
  Note,
  owners,
  QuoteId,
  QuoteNotFound,
  Timestamp,
  UserId
} from "./Shared.ts"

export const JobStatus = Schema.Literals(["scheduled", "in_progress", "completed", "cancelled"])
export type JobStatus = typeof JobStatus.Type

export const JobAction = Schema.Literals(["start", "complete", "cancel", "reschedule", "assign"])
export type JobAction = typeof JobAction.Type

export const DurationMinutes = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 60 * 24 * 30 }))
export const Location = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(500))

export const Job = Schema.Struct({
  id: JobId,
  clientId: ClientId,
  quoteId: Schema.NullOr(QuoteId),
  type: JobType,
  status: JobStatus,
  /** When the job is (or was) scheduled to start. */
  date: Timestamp,
  durationMinutes: Schema.NullOr(DurationMinutes),
  assigneeId: Schema.NullOr(UserId),
  location: Schema.NullOr(Location),
  /** Completion notes. */
  notes: Schema.NullOr(Note),
  cancellationReason: Schema.NullOr(Note),
  startedAt: Schema.NullOr(Timestamp),
  completedAt: Schema.NullOr(Timestamp),
  cancelledAt: Schema.NullOr(Timestamp),
  createdBy: Schema.String,
  createdAt: Timestamp,
  updatedAt: Timestamp
})
export type Job = typeof Job.Type

export class JobTransitionNotAllowed extends ContractError<JobTransitionNotAllowed>()(
  "JobTransitionNotAllowed",
  {
    code: "JOB_TRANSITION_NOT_ALLOWED",
    status: 409,
    title: "Not allowed in the job's status",
    when: "The action does not apply to a job in its current status (e.g. completing a cancelled job)"
  },
  { jobId: Schema.String, jobStatus: JobStatus, action: JobAction }
) {}

export class QuoteNotAccepted extends ContractError<QuoteNotAccepted>()(
  "QuoteNotAccepted",
  {
    code: "QUOTE_NOT_ACCEPTED",
    status: 409,
    title: "Quote is not accepted",
    when: "A job can only be backed by an accepted quote of the same client"
  },
  { quoteId: Schema.String, quoteStatus: QuoteStatus }
) {}

export class QuoteClientMismatch extends ContractError<QuoteClientMismatch>()(
  "QuoteClientMismatch",
  {
    code: "QUOTE_CLIENT_MISMATCH",
    status: 409,
    title: "Quote is for another client",
    when: "The quote given for a job was made for a different client"
  },
  { quoteId: Schema.String, clientId: Schema.String }
) {}

const exampleJob = {
  id: "job-456",
  clientId: "client-123",
  quoteId: null,
  type: "repair",
  status: "scheduled",
  date: "2025-01-20T10:00:00.000Z",
  durationMinutes: null,
  assigneeId: null,
  location: null,
  notes: null,
  cancellationReason: null,
  startedAt: null,
  completedAt: null,
  cancelledAt: null,
  createdBy: "user-1",
  createdAt: "2025-01-15T09:00:00.000Z",
  updatedAt: "2025-01-15T09:00:00.000Z"
} as const

const LATER = "2025-01-20T11:00:00.000Z"

const jobCommand = <const Key extends string, const A extends string>(key: Key, action: A) => ({
  key,
  version: "1.0.0" as const,
  stability: "stable" as const,
  owners,
  tags: ["service-business", "job", action]
})

export const ScheduleJob = command({
  meta: {
    ...jobCommand("service.job.schedule", "schedule"),
    description: "Schedule a job.",
    goal: "Schedule work.",
    context: "Job scheduling."
  },
  input: Schema.Struct({
    clientId: ClientId,
    /** When the work starts; a date in the past is accepted (work recorded after the fact). */
    date: Timestamp,
    type: JobType,
    /** An accepted quote of the same client that the job carries out. */
    quoteId: Schema.optionalKey(QuoteId),
    assigneeId: Schema.optionalKey(UserId),
    location: Schema.optionalKey(Location),
    durationMinutes: Schema.optionalKey(DurationMinutes)
  }),
  output: Job,
  errors: [ClientNotFound, QuoteNotFound, QuoteNotAccepted, QuoteClientMismatch],
  policy: { auth: "user" },
  emits: [{ event: JobScheduled, when: "The job is scheduled" }],
  idempotent: true,
  acceptance: {
    scenarios: [
      {
        key: "schedule-job-happy-path",
        given: ["Client exists"],
        when: ["User schedules job"],
        then: ["Job is created with status SCHEDULED", "service.job.scheduled is stored"]
      },
      {
        key: "schedule-job-in-the-past",
        given: ["Client exists"],
        when: ["User schedules a job at a date that has passed"],
        then: ["Job is created with status SCHEDULED (work may be recorded after the fact)"]
      },
      {
        key: "schedule-job-other-organization-client",
        given: ["A client belongs to another organization"],
        when: ["User schedules a job for it"],
        then: ["The call is refused with 404 CLIENT_NOT_FOUND", "Nothing is written"]
      },
      {
        key: "schedule-job-quote-not-accepted",
        given: ["A client with a sent (not accepted) quote"],
        when: ["User schedules a job carrying that quote"],
        then: ["The call is refused with 409 QUOTE_NOT_ACCEPTED"]
      }
    ],
    examples: [
      {
        key: "schedule-repair",
        input: { clientId: "client-123", date: "2025-01-20T10:00:00Z", type: "repair" },
        output: exampleJob
      }
    ]
  }
})

export const StartJob = command({
  meta: {
    ...jobCommand("service.job.start", "start"),
    description: "Start a scheduled job.",
    goal: "Record that work began.",
    context: "Field work."
  },
  input: Schema.Struct({ jobId: JobId }),
  output: Job,
  errors: [JobNotFound, JobTransitionNotAllowed],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "start-job-happy-path",
        given: ["A scheduled job"],
        when: ["User starts it"],
        then: ["The job is in progress, with startedAt"]
      },
      {
        key: "start-completed-job",
        given: ["A completed job"],
        when: ["User starts it"],
        then: ["The call is refused with 409 JOB_TRANSITION_NOT_ALLOWED"]
      }
    ],
    examples: [
      {
        key: "start-repair",
        input: { jobId: "job-456" },
        output: { ...exampleJob, status: "in_progress", startedAt: LATER, updatedAt: LATER }
      }
    ]
  }
})

export const CompleteJob = command({
  meta: {
    ...jobCommand("service.job.complete", "complete"),
    description: "Complete a scheduled or started job, with notes.",
    goal: "Record that the work is done, so it can be invoiced.",
    context: "Field work."
  },
  input: Schema.Struct({ jobId: JobId, notes: Schema.optionalKey(Note) }),
  output: Job,
  errors: [JobNotFound, JobTransitionNotAllowed],
  policy: { auth: "user" },
  emits: [{ event: JobCompleted, when: "The job is completed" }],
  acceptance: {
    scenarios: [
      {
        key: "complete-job-happy-path",
        given: ["A job in progress"],
        when: ["User completes it with notes"],
        then: ["The job is completed, with completedAt and the notes", "service.job.completed is stored"]
      },
      {
        key: "complete-cancelled-job",
        given: ["A cancelled job"],
        when: ["User completes it"],
        then: ["The call is refused with 409 JOB_TRANSITION_NOT_ALLOWED", "Nothing is stored"]
      }
    ],
    examples: [
      {
        key: "complete-repair",
        input: { jobId: "job-456", notes: "Replaced the valve." },
        output: {
          ...exampleJob,
          status: "completed",
          notes: "Replaced the valve.",
          completedAt: LATER,
          updatedAt: LATER
        }
      }
    ]
  }
})

export const CancelJob = command({
  meta: {
    ...jobCommand("service.job.cancel", "cancel"),
    description: "Cancel a job that is not completed, with a reason.",
    goal: "Take work off the schedule.",
    context: "Scheduling."
  },
  input: Schema.Struct({ jobId: JobId, reason: Note }),
  output: Job,
  errors: [JobNotFound, JobTransitionNotAllowed],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "cancel-job-happy-path",
        given: ["A scheduled job"],
        when: ["User cancels it with a reason"],
        then: ["The job is cancelled, with the reason"]
      },
      {
        key: "cancel-completed-job",
        given: ["A completed job"],
        when: ["User cancels it"],
        then: ["The call is refused with 409 JOB_TRANSITION_NOT_ALLOWED"]
      }
    ],
    examples: [
      {
        key: "cancel-repair",
        input: { jobId: "job-456", reason: "Client moved away." },
        output: {
          ...exampleJob,
          status: "cancelled",
          cancellationReason: "Client moved away.",
          cancelledAt: LATER,
          updatedAt: LATER
        }
      }
    ]
  }
})

export const RescheduleJob = command({
  meta: {
    ...jobCommand("service.job.reschedule", "reschedule"),
    description: "Move a scheduled job to another date (and duration).",
    goal: "Keep the schedule true.",
    context: "Scheduling."
  },
  input: Schema.Struct({
    jobId: JobId,
    date: Timestamp,
    durationMinutes: Schema.optionalKey(DurationMinutes)
  }),
  output: Job,
  errors: [JobNotFound, JobTransitionNotAllowed],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "reschedule-job-happy-path",
        given: ["A scheduled job"],
        when: ["User moves it to another date"],
        then: ["The job is scheduled at the new date"]
      },
      {
        key: "reschedule-started-job",
        given: ["A job in progress"],
        when: ["User reschedules it"],
        then: ["The call is refused with 409 JOB_TRANSITION_NOT_ALLOWED"]
      }
    ],
    examples: [
      {
        key: "reschedule-repair",
        input: { jobId: "job-456", date: "2025-01-22T08:30:00Z", durationMinutes: 90 },
        output: { ...exampleJob, date: "2025-01-22T08:30:00.000Z", durationMinutes: 90, updatedAt: LATER }
      }
    ]
  }
})

export const AssignJob = command({
  meta: {
    ...jobCommand("service.job.assign", "assign"),
    description: "Assign a scheduled or started job to a user (or unassign it with null).",
    goal: "Say who does the work.",
    context: "Dispatching."
  },
  input: Schema.Struct({ jobId: JobId, assigneeId: Schema.NullOr(UserId) }),
  output: Job,
  errors: [JobNotFound, JobTransitionNotAllowed],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "assign-job-happy-path",
        given: ["A scheduled job"],
        when: ["User assigns it to a technician"],
        then: ["The job's assignee is the technician"]
      },
      {
        key: "assign-cancelled-job",
        given: ["A cancelled job"],
        when: ["User assigns it"],
        then: ["The call is refused with 409 JOB_TRANSITION_NOT_ALLOWED"]
      }
    ],
    examples: [
      {
        key: "assign-repair",
        input: { jobId: "job-456", assigneeId: "tech-7" },
        output: { ...exampleJob, assigneeId: "tech-7", updatedAt: LATER }
      }
    ]
  }
})

export const GetJob = query({
  meta: {
    ...jobCommand("service.job.get", "get"),
    description: "Get one job.",
    goal: "Show a job.",
    context: "Job page."
  },
  input: Schema.Struct({ jobId: JobId }),
  output: Job,
  errors: [JobNotFound],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "get-job-other-organization",
        given: ["A job belongs to another organization"],
        when: ["User gets it by id"],
        then: ["The answer is 404 JOB_NOT_FOUND"]
      }
    ],
    examples: [{ key: "get-repair", input: { jobId: "job-456" }, output: exampleJob }]
  }
})

export const ListJobs = query({
  meta: {
    ...jobCommand("service.job.list", "list"),
    description: "List jobs by date (earliest first), filtered by status, client, assignee and date range.",
    goal: "See the schedule.",
    context: "Calendar, dispatch board, a client's history."
  },
  input: Schema.Struct({
    status: Schema.optionalKey(JobStatus),
    clientId: Schema.optionalKey(ClientId),
    assigneeId: Schema.optionalKey(UserId),
    /** Jobs dated at or after this instant. */
    from: Schema.optionalKey(Timestamp),
    /** Jobs dated before this instant. */
    to: Schema.optionalKey(Timestamp),
    limit: Schema.optionalKey(Limit),
    cursor: Schema.optionalKey(Cursor)
  }),
  output: Schema.Struct({ items: Schema.Array(Job), nextCursor: Schema.NullOr(Cursor) }),
  errors: [InvalidCursor],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "list-jobs-filters",
        given: ["Jobs of two clients and two assignees, in several statuses and on several days"],
        when: ["User lists with each filter and a date range"],
        then: ["Only matching jobs are returned, earliest first"]
      },
      {
        key: "list-jobs-pagination",
        given: ["More jobs than the page size"],
        when: ["User follows nextCursor"],
        then: ["Every job is returned exactly once", "The last page has no nextCursor"]
      }
    ],
    examples: [
      {
        key: "list-scheduled",
        input: { status: "scheduled", limit: 10 },
        output: { items: [exampleJob], nextCursor: null }
      }
    ]
  }
})
