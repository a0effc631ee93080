/**
 * Sync runs: `trigger` answers at once with a queued run; the run executes on the dispatcher's
 * workers, a page per handled `integration.sync.requested` event, checkpointed per page, so a
 * crashed process resumes from the last page it finished. `get` shows live progress.
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"
import { ConnectionDisabled } from "./Connections.ts"
import { SyncFailed, SyncRequested } from "./Events.ts"
import { Cursor, InvalidCursor, Limit, owners, SyncConfigId, SyncRunId, Timestamp } from "./Shared.ts"
import { SyncConfigNotFound } from "./SyncConfigs.ts"

export const RunStatus = Schema.Literals(["queued", "running", "succeeded", "partially_failed", "failed", "cancelled"])
export type RunStatus = typeof RunStatus.Type

export const RecordFailure = Schema.Struct({
  page: Schema.Int,
  externalId: Schema.NullOr(Schema.String),
  message: Schema.String
})

/** At most this many record failures are kept per run (the count goes on). */
export const MAX_RECORDED_FAILURES = 100

export const SyncRun = Schema.Struct({
  id: SyncRunId,
  syncConfigId: SyncConfigId,
  status: RunStatus,
  trigger: Schema.Literals(["manual", "schedule"]),
  processed: Schema.Int,
  created: Schema.Int,
  updated: Schema.Int,
  skipped: Schema.Int,
  failed: Schema.Int,
  /** The next page to run (pages done so far). */
  currentPage: Schema.Int,
  /** Why the run failed as a whole (summarized, no credential). */
  error: Schema.NullOr(Schema.String),
  /** The first record failures (bounded). */
  failures: Schema.Array(RecordFailure),
  queuedAt: Timestamp,
  startedAt: Schema.NullOr(Timestamp),
  finishedAt: Schema.NullOr(Timestamp)
})
export type SyncRun = typeof SyncRun.Type

export class SyncRunNotFound extends ContractError<SyncRunNotFound>()(
  "SyncRunNotFound",
  {
    code: "SYNC_RUN_NOT_FOUND",
    status: 404,
    title: "Sync run not found",
    when: "No run with this id in the caller's organization"
  },
  { runId: Schema.String }
) {}

export class SyncPaused extends ContractError<SyncPaused>()(
  "SyncPaused",
  { code: "SYNC_PAUSED", status: 409, title: "Sync paused", when: "The sync config is paused" },
  { syncConfigId: Schema.String }
) {}

export class SyncAlreadyRunning extends ContractError<SyncAlreadyRunning>()(
  "SyncAlreadyRunning",
  {
    code: "SYNC_ALREADY_RUNNING",
    status: 409,
    title: "Sync already running",
    when: "A run of this sync config is queued or running"
  },
  { runId: Schema.String }
) {}

export class RunFinished extends ContractError<RunFinished>()(
  "RunFinished",
  { code: "RUN_FINISHED", status: 409, title: "Run already finished", when: "The run already ended" },
  { runId: Schema.String, runStatus: Schema.String }
) {}

export const TriggerSync = command({
  meta: {
    key: "integration.sync.trigger",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "sync", "run", "trigger"],
    description: "Start a sync run now. Answers at once with the queued run; the run executes in the background.",
    goal: "Move data on demand.",
    context: "Sync runs."
  },
  input: Schema.Struct({ syncConfigId: SyncConfigId }),
  output: SyncRun,
  errors: [SyncConfigNotFound, SyncPaused, SyncAlreadyRunning, ConnectionDisabled],
  policy: { auth: "user" },
  emits: [{ event: SyncRequested, when: "The run is queued (its first page is requested)" }],
  acceptance: {
    scenarios: [
      {
        key: "trigger-answers-queued",
        given: ["An active sync config"],
        when: ["User triggers it"],
        then: [
          "The answer is the run, queued, with no record processed yet",
          "The run then completes in the background"
        ]
      },
      {
        key: "trigger-while-running",
        given: ["A sync config with a queued run"],
        when: ["User triggers it again"],
        then: ["The call is refused with 409 SYNC_ALREADY_RUNNING"]
      }
    ],
    examples: [
      {
        key: "trigger-contact-sync",
        input: { syncConfigId: "sync-123" },
        output: {
          id: "run-1",
          syncConfigId: "sync-123",
          status: "queued",
          trigger: "manual",
          processed: 0,
          created: 0,
          updated: 0,
          skipped: 0,
          failed: 0,
          currentPage: 0,
          error: null,
          failures: [],
          queuedAt: "2025-01-20T09:00:00.000Z",
          startedAt: null,
          finishedAt: null
        }
      }
    ]
  }
})

export const GetSyncRun = query({
  meta: {
    key: "integration.syncRun.get",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "sync", "run", "get"],
    description: "A run's live progress: status, counts, current page and the first record failures.",
    goal: "Watch a sync.",
    context: "Sync runs."
  },
  input: Schema.Struct({ runId: SyncRunId }),
  output: SyncRun,
  errors: [SyncRunNotFound],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "run-partially-failed",
        given: ["A CSV file with a malformed line"],
        when: ["The sync runs"],
        then: ["That record fails, the others are written", "The run ends partially_failed with the failure recorded"]
      }
    ]
  }
})

export const ListSyncRuns = query({
  meta: {
    key: "integration.syncRun.list",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "sync", "run", "list"],
    description: "List runs, newest first, optionally of one sync config.",
    goal: "See a sync's history.",
    context: "Sync runs."
  },
  input: Schema.Struct({
    syncConfigId: Schema.optionalKey(SyncConfigId),
    limit: Schema.optionalKey(Limit),
    cursor: Schema.optionalKey(Cursor)
  }),
  output: Schema.Struct({ items: Schema.Array(SyncRun), nextCursor: Schema.NullOr(Cursor) }),
  errors: [InvalidCursor],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "list-runs-of-config",
        given: ["Runs of two sync configs"],
        when: ["User lists the runs of one"],
        then: ["Only its runs are returned, newest first"]
      }
    ]
  }
})

export const CancelSyncRun = command({
  meta: {
    key: "integration.syncRun.cancel",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "sync", "run", "cancel"],
    description: "Cancel a queued or running run: no page starts after this; the page in flight is discarded.",
    goal: "Stop a sync that should not go on.",
    context: "Sync runs."
  },
  input: Schema.Struct({ runId: SyncRunId }),
  output: SyncRun,
  errors: [SyncRunNotFound, RunFinished],
  policy: { auth: "user" },
  emits: [{ event: SyncFailed, when: "The run is cancelled (status cancelled)" }],
  acceptance: {
    scenarios: [
      {
        key: "cancel-queued-run",
        given: ["A queued run"],
        when: ["User cancels it"],
        then: ["It is cancelled and never processes a record"]
      }
    ]
  }
})
