/**
 * Jobs. Rows leave the database in the API's shape (see `columns`), decoded by the contract's
 * `Job` schema. Every method takes the organization first; every list filter has an index that
 * ends in the list's order (`scheduled_at, id`), so a page costs the same at any table size.
 */
import { Job, type JobStatus } from "@tessera/contracts/service-business/Jobs"
import { Context, Effect, Layer, type Option } from "effect"
import { SqlClient, type Statement } from "effect/sql"
import { all, maybeOne, one } from "./Sql.ts"

export interface NewJob {
  readonly organizationId: string
  readonly id: string
  readonly clientId: string
  readonly quoteId: string | null
  readonly type: string
  readonly scheduledAt: string
  readonly durationMinutes: number | null
  readonly assigneeId: string | null
  readonly location: string | null
  readonly createdBy: string
  readonly at: Date
}

export interface JobFilters {
  readonly status?: JobStatus | undefined
  readonly clientId?: string | undefined
  readonly assigneeId?: string | undefined
  readonly from?: string | undefined
  readonly to?: string | undefined
}

/** What a transition writes, besides `updated_at`. */
export type JobChange =
  | { readonly _tag: "start" }
  | { readonly _tag: "complete"; readonly notes: string | null }
  | { readonly _tag: "cancel"; readonly reason: string }
  | { readonly _tag: "reschedule"; readonly date: string; readonly durationMinutes: number | undefined }
  | { readonly _tag: "assign"; readonly assigneeId: string | null }

export class JobRepository extends Context.Service<
  JobRepository,
  {
    readonly insert: (job: NewJob) => Effect.Effect<Job>
    /** With `lock`, the row stays locked (FOR UPDATE) until the call's transaction ends. */
    readonly findById: (
      organizationId: string,
      jobId: string,
      options?: { readonly lock?: boolean }
    ) => Effect.Effect<Option.Option<Job>>
    readonly change: (organizationId: string, jobId: string, change: JobChange, at: Date) => Effect.Effect<Job>
    /** Earliest first; `limit + 1` rows. */
    readonly list: (
      organizationId: string,
      filters: JobFilters,
      limit: number,
      after: readonly [scheduledAt: string, id: string] | undefined
    ) => Effect.Effect<ReadonlyArray<Job>>
  }
>()("@tessera/service-business/JobRepository") {
  static readonly layer = Layer.effect(
    JobRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const columns = sql.literal(`
        j.id, j.client_id AS "clientId", j.quote_id AS "quoteId", j.type, j.status,
        service.iso(j.scheduled_at) AS date, j.duration_minutes AS "durationMinutes", j.assignee_id AS "assigneeId",
        j.location, j.notes, j.cancellation_reason AS "cancellationReason", service.iso(j.started_at) AS "startedAt",
        service.iso(j.completed_at) AS "completedAt", service.iso(j.cancelled_at) AS "cancelledAt",
        j.created_by AS "createdBy", service.iso(j.created_at) AS "createdAt", service.iso(j.updated_at) AS "updatedAt"`)

      const setOf = (change: JobChange, at: Date): ReadonlyArray<Statement.Fragment> => {
        switch (change._tag) {
          case "start":
            return [sql`status = 'in_progress'`, sql`started_at = ${at}`]
          case "complete":
            return [sql`status = 'completed'`, sql`completed_at = ${at}`, sql`notes = ${change.notes}`]
          case "cancel":
            return [sql`status = 'cancelled'`, sql`cancelled_at = ${at}`, sql`cancellation_reason = ${change.reason}`]
          case "reschedule":
            return [
              sql`scheduled_at = ${change.date}::timestamptz`,
              ...(change.durationMinutes === undefined ? [] : [sql`duration_minutes = ${change.durationMinutes}`])
            ]
          case "assign":
            return [sql`assignee_id = ${change.assigneeId}`]
        }
      }

      return JobRepository.of({
        insert: (job) =>
          one(Job)(sql`
            WITH j AS (
              INSERT INTO service.jobs (organization_id, id, client_id, quote_id, type, status, scheduled_at,
                duration_minutes, assignee_id, location, created_by, created_at, updated_at)
              VALUES (${job.organizationId}, ${job.id}, ${job.clientId}, ${job.quoteId}, ${job.type}, 'scheduled',
                ${job.scheduledAt}::timestamptz, ${job.durationMinutes}, ${job.assigneeId}, ${job.location},
                ${job.createdBy}, ${job.at}, ${job.at})
              RETURNING *)
            SELECT to_json(r) AS j FROM (SELECT ${columns} FROM j) r`),

        findById: (organizationId, jobId, options) =>
          maybeOne(Job)(sql`
            SELECT to_json(r) AS j FROM (
              SELECT ${columns} FROM service.jobs j WHERE j.organization_id = ${organizationId} AND j.id = ${jobId}
              ${options?.lock ? sql.literal("FOR UPDATE") : sql.literal("")}
            ) r`),

        change: (organizationId, jobId, change, at) =>
          one(Job)(sql`
            WITH j AS (
              UPDATE service.jobs SET ${sql.csv([...setOf(change, at), sql`updated_at = ${at}`])}
              WHERE organization_id = ${organizationId} AND id = ${jobId}
              RETURNING *)
            SELECT to_json(r) AS j FROM (SELECT ${columns} FROM j) r`),

        list: (organizationId, filters, limit, after) =>
          all(Job)(sql`
            SELECT to_json(r) AS j FROM (
              SELECT ${columns} FROM service.jobs j
              WHERE ${sql.and([
                sql`j.organization_id = ${organizationId}`,
                ...(filters.status === undefined ? [] : [sql`j.status = ${filters.status}`]),
                ...(filters.clientId === undefined ? [] : [sql`j.client_id = ${filters.clientId}`]),
                ...(filters.assigneeId === undefined ? [] : [sql`j.assignee_id = ${filters.assigneeId}`]),
                ...(filters.from === undefined ? [] : [sql`j.scheduled_at >= ${filters.from}::timestamptz`]),
                ...(filters.to === undefined ? [] : [sql`j.scheduled_at < ${filters.to}::timestamptz`]),
                ...(after === undefined ? [] : [sql`(j.scheduled_at, j.id) > (${after[0]}::timestamptz, ${after[1]})`])
              ])}
              ORDER BY j.scheduled_at, j.id
              LIMIT ${limit + 1}
            ) r`)
      })
    })
  )
}
