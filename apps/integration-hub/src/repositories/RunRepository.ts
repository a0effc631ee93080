/**
 * Sync runs, their per-page checkpoints, the checksums of what was written per external id, and
 * the claimed cron ticks, scoped by organization.
 */
import { type RecordFailure, SyncRun } from "@tessera/contracts/integration-hub/SyncRuns"
import { all, maybeOne, one } from "@tessera/database/Rows"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"

export interface NewRun {
  readonly organizationId: string
  readonly id: string
  readonly syncConfigId: string
  readonly trigger: SyncRun["trigger"]
  readonly requestedBy: string
  readonly at: Date
}

export const Checkpoint = Schema.Struct({
  /** Where the next page starts (null: the beginning). */
  position: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** The target's state after the last committed page. */
  targetState: Schema.optionalKey(Schema.NullOr(Schema.String))
})
export type Checkpoint = typeof Checkpoint.Type

/** A run as its page step sees it, locked for the step's transaction. */
export const RunState = Schema.Struct({
  run: SyncRun,
  requestedBy: Schema.String,
  checkpoint: Checkpoint
})
export type RunState = typeof RunState.Type

export interface PageOutcome {
  readonly created: number
  readonly updated: number
  readonly skipped: number
  readonly failed: number
  readonly failures: ReadonlyArray<typeof RecordFailure.Type>
  readonly checkpoint: Checkpoint
  /** Set when the run ends with this page. */
  readonly finished?: { readonly status: SyncRun["status"]; readonly error: string | null } | undefined
}

const ChecksumRow = Schema.Struct({ externalId: Schema.String, checksum: Schema.String })

const textArray = (values: ReadonlyArray<string>) => `{${values.map((value) => JSON.stringify(value)).join(",")}}`

export class RunRepository extends Context.Service<
  RunRepository,
  {
    /** The queued run, or none when the sync config already has a queued or running one. */
    readonly insertQueued: (run: NewRun) => Effect.Effect<Option.Option<SyncRun>>
    readonly find: (organizationId: string, id: string) => Effect.Effect<Option.Option<SyncRun>>
    readonly activeRunId: (organizationId: string, syncConfigId: string) => Effect.Effect<Option.Option<string>>
    /** Newest first; `limit + 1` rows. */
    readonly list: (
      organizationId: string,
      syncConfigId: string | undefined,
      limit: number,
      after: readonly [queuedAt: string, id: string] | undefined
    ) => Effect.Effect<ReadonlyArray<SyncRun>>
    /** The run, locked until the transaction ends (`FOR UPDATE`). */
    readonly lock: (organizationId: string, id: string) => Effect.Effect<Option.Option<RunState>>
    readonly markRunning: (organizationId: string, id: string, at: Date) => Effect.Effect<void>
    /** Adds a page's counts and failures (the first 100 kept), moves the checkpoint and the page on. */
    readonly savePage: (organizationId: string, id: string, outcome: PageOutcome, at: Date) => Effect.Effect<SyncRun>
    readonly fail: (organizationId: string, id: string, error: string, at: Date) => Effect.Effect<SyncRun>
    /** Cancels a queued or running run; none when it has ended (or does not exist). */
    readonly cancel: (organizationId: string, id: string, at: Date) => Effect.Effect<Option.Option<SyncRun>>
    readonly checksums: (
      organizationId: string,
      syncConfigId: string,
      externalIds: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyMap<string, string>>
    /**
     * Saves the checksums a page wrote: `created` are external ids with no checksum yet (inserted
     * plainly, no speculative `ON CONFLICT` insertion: only the sync config's one active run, its
     * row locked, writes them, so a conflict is a bug that fails the transaction), `updated` those
     * with one (updated in the same statement).
     */
    readonly saveChecksums: (
      organizationId: string,
      syncConfigId: string,
      runId: string,
      created: ReadonlyArray<{ readonly externalId: string; readonly checksum: string }>,
      updated: ReadonlyArray<{ readonly externalId: string; readonly checksum: string }>
    ) => Effect.Effect<void>
    /** Puts back the checksums a page saved before the target refused its records (null: none was saved before). */
    readonly restoreChecksums: (
      organizationId: string,
      syncConfigId: string,
      entries: ReadonlyArray<{ readonly externalId: string; readonly checksum: string | null }>
    ) => Effect.Effect<void>
    /** Claims a cron tick of a sync config: true for exactly one caller across processes. */
    readonly claimTick: (organizationId: string, syncConfigId: string, tick: Date, at: Date) => Effect.Effect<boolean>
    readonly setTickRun: (
      organizationId: string,
      syncConfigId: string,
      tick: Date,
      runId: string
    ) => Effect.Effect<void>
  }
>()("@tessera/integration-hub/RunRepository") {
  static readonly layer = Layer.effect(
    RunRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const columns = sql.literal(`
        r.id, r.sync_config_id AS "syncConfigId", r.status, r.trigger, r.processed, r.created, r.updated,
        r.skipped, r.failed, r.current_page AS "currentPage", r.error, r.failures,
        integration.iso(r.queued_at) AS "queuedAt", integration.iso(r.started_at) AS "startedAt",
        integration.iso(r.finished_at) AS "finishedAt"`)
      return RunRepository.of({
        insertQueued: (run) =>
          maybeOne(
            SyncRun,
            sql`
              WITH r AS (
                INSERT INTO integration.sync_runs (organization_id, id, sync_config_id, status, trigger, requested_by, queued_at)
                VALUES (${run.organizationId}, ${run.id}, ${run.syncConfigId}, 'queued', ${run.trigger}, ${run.requestedBy}, ${run.at})
                ON CONFLICT DO NOTHING
                RETURNING *)
              SELECT ${columns} FROM r`
          ),

        find: (organizationId, id) =>
          maybeOne(
            SyncRun,
            sql`SELECT ${columns} FROM integration.sync_runs r WHERE r.organization_id = ${organizationId} AND r.id = ${id}`
          ),

        activeRunId: (organizationId, syncConfigId) =>
          maybeOne(
            Schema.Struct({ id: Schema.String }),
            sql`SELECT id FROM integration.sync_runs WHERE organization_id = ${organizationId}
                AND sync_config_id = ${syncConfigId} AND status IN ('queued', 'running')`
          ).pipe(Effect.map(Option.map((row) => row.id))),

        list: (organizationId, syncConfigId, limit, after) =>
          all(
            SyncRun,
            sql`
              SELECT ${columns} FROM integration.sync_runs r
              WHERE ${sql.and([
                sql`r.organization_id = ${organizationId}`,
                ...(syncConfigId === undefined ? [] : [sql`r.sync_config_id = ${syncConfigId}`]),
                ...(after === undefined ? [] : [sql`(r.queued_at, r.id) < (${after[0]}::timestamptz, ${after[1]})`])
              ])}
              ORDER BY r.queued_at DESC, r.id DESC
              LIMIT ${limit + 1}`
          ),

        lock: (organizationId, id) =>
          maybeOne(
            RunState,
            sql`
              SELECT json_build_object('id', r.id, 'syncConfigId', r.sync_config_id, 'status', r.status, 'trigger', r.trigger,
                  'processed', r.processed, 'created', r.created, 'updated', r.updated, 'skipped', r.skipped,
                  'failed', r.failed, 'currentPage', r.current_page, 'error', r.error, 'failures', r.failures,
                  'queuedAt', integration.iso(r.queued_at), 'startedAt', integration.iso(r.started_at),
                  'finishedAt', integration.iso(r.finished_at)) AS run,
                r.requested_by AS "requestedBy", r.checkpoint
              FROM integration.sync_runs r WHERE r.organization_id = ${organizationId} AND r.id = ${id}
              FOR UPDATE`
          ),

        markRunning: (organizationId, id, at) =>
          sql`UPDATE integration.sync_runs SET status = 'running', started_at = ${at}
              WHERE organization_id = ${organizationId} AND id = ${id} AND status = 'queued'`.pipe(
            Effect.asVoid,
            Effect.orDie
          ),

        savePage: (organizationId, id, o, at) =>
          one(
            SyncRun,
            sql`
            WITH r AS (
              UPDATE integration.sync_runs SET
                created = created + ${o.created}, updated = updated + ${o.updated}, skipped = skipped + ${o.skipped},
                failed = failed + ${o.failed},
                processed = processed + ${o.created + o.updated + o.skipped + o.failed},
                failures = CASE WHEN jsonb_array_length(failures) >= 100 THEN failures
                  ELSE (SELECT coalesce(jsonb_agg(f ORDER BY n), '[]'::jsonb) FROM (
                    SELECT f, n FROM jsonb_array_elements(failures || ${JSON.stringify(o.failures)}::jsonb)
                    WITH ORDINALITY AS e(f, n) ORDER BY n LIMIT 100) kept) END,
                current_page = current_page + 1,
                checkpoint = ${JSON.stringify(o.checkpoint)}::jsonb,
                status = ${o.finished?.status ?? "running"},
                error = ${o.finished?.error ?? null},
                finished_at = ${o.finished === undefined ? null : at}
              WHERE organization_id = ${organizationId} AND id = ${id}
              RETURNING *)
            SELECT ${columns} FROM r`
          ),

        fail: (organizationId, id, error, at) =>
          one(
            SyncRun,
            sql`
            WITH r AS (
              UPDATE integration.sync_runs SET status = 'failed', error = ${error}, finished_at = ${at}
              WHERE organization_id = ${organizationId} AND id = ${id}
              RETURNING *)
            SELECT ${columns} FROM r`
          ),

        cancel: (organizationId, id, at) =>
          maybeOne(
            SyncRun,
            sql`
              WITH r AS (
                UPDATE integration.sync_runs SET status = 'cancelled', finished_at = ${at}
                WHERE organization_id = ${organizationId} AND id = ${id} AND status IN ('queued', 'running')
                RETURNING *)
              SELECT ${columns} FROM r`
          ),

        checksums: (organizationId, syncConfigId, externalIds) =>
          externalIds.length === 0
            ? Effect.succeed(new Map())
            : all(
                ChecksumRow,
                sql`
                  SELECT external_id AS "externalId", checksum FROM integration.record_states
                  WHERE organization_id = ${organizationId} AND sync_config_id = ${syncConfigId}
                    AND external_id = ANY(${textArray(externalIds)}::text[])`
              ).pipe(Effect.map((rows) => new Map(rows.map((row) => [row.externalId, row.checksum])))),

        saveChecksums: (organizationId, syncConfigId, runId, created, updated) => {
          const ids = (entries: typeof created) => textArray(entries.map((e) => e.externalId))
          const sums = (entries: typeof created) => textArray(entries.map((e) => e.checksum))
          const update = sql`
            UPDATE integration.record_states s SET checksum = t.c, run_id = ${runId}
            FROM unnest(${ids(updated)}::text[], ${sums(updated)}::text[]) AS t(e, c)
            WHERE s.organization_id = ${organizationId} AND s.sync_config_id = ${syncConfigId} AND s.external_id = t.e`
          const insert = sql`
            INSERT INTO integration.record_states (organization_id, sync_config_id, external_id, checksum, run_id)
            SELECT ${organizationId}, ${syncConfigId}, e, c, ${runId}
            FROM unnest(${ids(created)}::text[], ${sums(created)}::text[]) AS t(e, c)`
          const statement =
            created.length === 0
              ? updated.length === 0
                ? undefined
                : update
              : updated.length === 0
                ? insert
                : sql`WITH updated AS (${update}) ${insert}`
          return statement === undefined ? Effect.void : statement.pipe(Effect.asVoid, Effect.orDie)
        },

        restoreChecksums: (organizationId, syncConfigId, entries) =>
          entries.length === 0
            ? Effect.void
            : sql`
                WITH t AS (
                  SELECT e, c FROM unnest(${textArray(entries.map((e) => e.externalId))}::text[],
                    ${`{${entries.map((e) => (e.checksum === null ? "NULL" : JSON.stringify(e.checksum))).join(",")}}`}::text[]) AS t(e, c)),
                gone AS (
                  DELETE FROM integration.record_states s USING t
                  WHERE s.organization_id = ${organizationId} AND s.sync_config_id = ${syncConfigId}
                    AND s.external_id = t.e AND t.c IS NULL)
                UPDATE integration.record_states s SET checksum = t.c FROM t
                WHERE s.organization_id = ${organizationId} AND s.sync_config_id = ${syncConfigId}
                  AND s.external_id = t.e AND t.c IS NOT NULL`.pipe(Effect.asVoid, Effect.orDie),

        claimTick: (organizationId, syncConfigId, tick, at) =>
          sql`
            INSERT INTO integration.schedule_ticks (organization_id, sync_config_id, tick, claimed_at)
            VALUES (${organizationId}, ${syncConfigId}, ${tick}, ${at})
            ON CONFLICT DO NOTHING
            RETURNING tick`.pipe(
            Effect.map((rows) => rows.length === 1),
            Effect.orDie
          ),

        setTickRun: (organizationId, syncConfigId, tick, runId) =>
          sql`UPDATE integration.schedule_ticks SET run_id = ${runId}
              WHERE organization_id = ${organizationId} AND sync_config_id = ${syncConfigId} AND tick = ${tick}`.pipe(
            Effect.asVoid,
            Effect.orDie
          )
      })
    })
  )
}
