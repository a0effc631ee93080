/**
 * The sync engine. A run is a chain of steps: each handled `integration.sync.requested` event
 * runs pages — read from the run's checkpointed position, map, skip what is unchanged (content
 * checksum per external id), upsert the rest into the target, save the checksums, the counts, the
 * failures and the next position — back to back while the step's budget lasts
 * (`TESSERA_INTEGRATION_STEP_BUDGET`, 1 second; a page started within it finishes), all in the
 * delivery's transaction, which then requests the next step (or ends the run). A step stays far
 * below the dispatcher's handler timeout; a process killed mid-step leaves the last committed
 * checkpoint, and the redelivered event runs from there (file targets cut back what the dead
 * attempt appended; REST and CRM writes are upserts by external id), so nothing is written twice.
 *
 * Overlaps within a step (same guarantees): the next page of a side-effect-free source is read and
 * mapped while the current one is written (`Endpoint.readAhead`), and a target that writes a page
 * whole saves the page's checksums while it writes, under a savepoint a failed write rolls back
 * (`Endpoint.writeAside`).
 *
 * Remote calls of a page are retried with backoff (`PageRetry`) while they are retryable (a
 * timeout, 429 with `Retry-After`, 5xx); then the run fails with the remote's error summarized.
 */
import type { Connection } from "@tessera/contracts/integration-hub/Connections"
import { SyncCompleted, SyncFailed, SyncRequested, SyncStarted } from "@tessera/contracts/integration-hub/Events"
import type { SyncConfigId, SyncRunId } from "@tessera/contracts/integration-hub/Shared"
import type { SyncConfig } from "@tessera/contracts/integration-hub/SyncConfigs"
import { MAX_RECORDED_FAILURES, type SyncRun } from "@tessera/contracts/integration-hub/SyncRuns"
import type { DecodedEnvelope } from "@tessera/envelope/Envelope"
import { type EmitContext, EventSink, type OutgoingEvent } from "@tessera/envelope/EventSink"
import { Clock, Config, Context, Data, Duration, Effect, Fiber, Layer, Option, Result, Schedule } from "effect"
import { HttpClient } from "effect/http"
import { SqlClient } from "effect/sql"
import { checksum, compile, externalIdOf, type Mapper, type SourceRecord } from "../domain/Mapping.ts"
import { ConnectionRepository } from "../repositories/ConnectionRepository.ts"
import { RunRepository } from "../repositories/RunRepository.ts"
import { SyncConfigRepository } from "../repositories/SyncConfigRepository.ts"
import { CredentialVault } from "./CredentialVault.ts"
import type { Health, Item, OutRecord, RemoteError, Source, Target } from "./connectors/Connector.ts"
import * as CrmConnector from "./connectors/CrmConnector.ts"
import * as FileConnector from "./connectors/FileConnector.ts"
import * as RestConnector from "./connectors/RestConnector.ts"
import { FileRoot } from "./FileRoot.ts"

/** Retries of one page's remote calls: 200 ms doubling with jitter, 3 retries. */
export const PageRetry = Schedule.exponential("200 millis").pipe(Schedule.jittered, Schedule.upTo({ times: 3 }))

/** The side of a connection the engine uses. */
export interface Endpoint {
  readonly source: Source | undefined
  readonly target: Target | undefined
  readonly health: Effect.Effect<Health>
  readonly idOf: (record: SourceRecord) => string | undefined
  /**
   * The source's reads have no side effect and use no database connection (files, REST), so the
   * next page may be read while the current one is written (see `runPage`).
   */
  readonly readAhead: boolean
  /**
   * The target writes a page whole or fails it whole (no per-record refusal) and uses no database
   * connection (files, REST batches), so a page's checksums may be saved while the target writes
   * it, under a savepoint that a failed write rolls back (see `runPage`).
   */
  readonly writeAside: boolean
}

/** Why a run cannot go on, summarized for the run's `error` (never a credential). */
export class RunAborted extends Data.TaggedError("RunAborted")<{ readonly message: string }> {}

export interface PreviewRow {
  readonly externalId: string | null
  readonly source: SourceRecord
  readonly mapped: Readonly<Record<string, string | number | boolean | null>> | null
  readonly error: string | null
}

/** Where a sync reads and writes: the connections in the order the direction gives. */
const sides = (config: SyncConfig) =>
  config.direction === "source_to_target"
    ? { from: config.sourceConnectionId, to: config.targetConnectionId }
    : { from: config.targetConnectionId, to: config.sourceConnectionId }

interface Mapped {
  readonly out: Array<OutRecord>
  readonly failures: Array<{ readonly externalId: string | null; readonly message: string }>
  readonly duplicates: number
}

/** Maps a page's items; records without an external id, malformed items and mapping errors fail alone. */
const mapItems = (
  items: ReadonlyArray<Item>,
  mapper: Mapper,
  idOf: (record: SourceRecord) => string | undefined
): Mapped => {
  const byId = new Map<string, OutRecord>()
  const failures: Array<{ readonly externalId: string | null; readonly message: string }> = []
  let duplicates = 0
  for (const item of items) {
    if (item._tag === "Malformed") {
      failures.push({ externalId: null, message: item.message })
      continue
    }
    const externalId = idOf(item.record)
    if (externalId === undefined) {
      failures.push({ externalId: null, message: "the record has no external id" })
      continue
    }
    const mapped = mapper(item.record)
    if (Result.isFailure(mapped)) {
      failures.push({ externalId, message: mapped.failure })
      continue
    }
    if (byId.has(externalId)) duplicates++
    byId.set(externalId, { externalId, fields: mapped.success, checksum: checksum(mapped.success) })
  }
  return { out: [...byId.values()], failures, duplicates }
}

export class SyncEngine extends Context.Service<
  SyncEngine,
  {
    /** The connection's reader, writer and health check, with its credentials decrypted. */
    readonly endpoint: (
      organizationId: string,
      connection: Connection,
      sealed: string | null,
      crm: CrmConnector.CrmTargetContext | undefined
    ) => Effect.Effect<Endpoint>
    /** The first `limit` records of the sync's source, mapped, without writing. */
    readonly preview: (
      organizationId: string,
      config: SyncConfig,
      limit: number
    ) => Effect.Effect<ReadonlyArray<PreviewRow>, RunAborted>
    /** Runs one page of a run, in the caller's transaction (see the module comment). */
    readonly runPage: (envelope: DecodedEnvelope<typeof SyncRequested.payload.Type>) => Effect.Effect<void>
  }
>()("@tessera/integration-hub/SyncEngine") {
  static readonly layer = Layer.effect(
    SyncEngine,
    Effect.gen(function* () {
      const connections = yield* ConnectionRepository
      const configs = yield* SyncConfigRepository
      const runs = yield* RunRepository
      const vault = yield* CredentialVault
      const files = yield* FileRoot
      const http = yield* HttpClient.HttpClient
      const sink = yield* EventSink
      const sql = yield* SqlClient.SqlClient
      const stepBudget = yield* Config.Duration("TESSERA_INTEGRATION_STEP_BUDGET").pipe(
        Config.withDefault(Duration.seconds(1))
      )

      const endpoint = (
        organizationId: string,
        connection: Connection,
        sealed: string | null,
        crm: CrmConnector.CrmTargetContext | undefined
      ): Effect.Effect<Endpoint> =>
        Effect.gen(function* () {
          const config = connection.config
          switch (config.kind) {
            case "rest": {
              const credentials =
                sealed === null
                  ? undefined
                  : yield* Effect.orDie(vault.open(sealed, { organizationId, connectionId: connection.id }))
              const rest = yield* RestConnector.make(config, credentials).pipe(
                Effect.provideService(HttpClient.HttpClient, http)
              )
              return { ...rest, readAhead: true, writeAside: config.write?.mode === "batch" }
            }
            case "csv":
            case "ndjson":
              return {
                ...FileConnector.make(config, yield* files.resolve(config.path)),
                readAhead: true,
                writeAside: true
              }
            case "crm":
              return {
                source: CrmConnector.makeSource(sql, organizationId, config.object ?? "contacts"),
                target:
                  crm === undefined
                    ? undefined
                    : yield* CrmConnector.makeTarget(crm).pipe(Effect.provideService(EventSink, sink)),
                health: Effect.succeed(CrmConnector.health),
                idOf: (record) => externalIdOf(record, "id"),
                // The CRM source reads through the step's transaction: one statement at a time.
                readAhead: false,
                // Its writes are events published in the step's transaction.
                writeAside: false
              }
          }
        })

      const load = (organizationId: string, id: string) =>
        Effect.flatMap(connections.findSealed(organizationId, id), (found) =>
          Option.isSome(found)
            ? Effect.succeed(found.value)
            : Effect.fail(new RunAborted({ message: `the connection ${id} no longer exists` }))
        )

      const read = (source: Source, position: string | null, size: number) =>
        source.readPage(position, size).pipe(
          Effect.retry({ schedule: PageRetry, while: (error: RemoteError) => error.retryable }),
          Effect.mapError((error) => new RunAborted({ message: `reading failed: ${error.message}` }))
        )

      const preview = (organizationId: string, config: SyncConfig, limit: number) =>
        Effect.gen(function* () {
          const from = yield* load(organizationId, sides(config).from)
          const reader = yield* endpoint(organizationId, from.connection, from.sealed, undefined)
          if (reader.source === undefined) {
            return yield* new RunAborted({ message: `the connection ${from.connection.id} cannot be read` })
          }
          const mapper = compile(yield* configs.mappings(organizationId, config.id))
          const page = yield* read(reader.source, null, limit)
          return page.items.map((item): PreviewRow => {
            if (item._tag === "Malformed") return { externalId: null, source: {}, mapped: null, error: item.message }
            const externalId = reader.idOf(item.record) ?? null
            const mapped = mapper(item.record)
            return {
              externalId,
              source: item.record,
              mapped: Result.isSuccess(mapped) ? mapped.success : null,
              error: Result.isFailure(mapped)
                ? mapped.failure
                : externalId === null
                  ? "the record has no external id"
                  : null
            }
          })
        })

      const runPage = (envelope: DecodedEnvelope<typeof SyncRequested.payload.Type>) =>
        Effect.gen(function* () {
          const organizationId = envelope.organization_id
          const { runId, page } = envelope.payload
          const locked = yield* runs.lock(organizationId, runId)
          // A run that ended (or was cancelled), or a page already done: a redelivery, nothing to do.
          if (Option.isNone(locked)) return
          const { run, requestedBy, checkpoint } = locked.value
          if ((run.status !== "queued" && run.status !== "running") || run.currentPage !== page) return

          const now = () => Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))
          const emit: EmitContext = {
            producer: "integration",
            organizationId,
            actor: { type: "user", id: requestedBy },
            correlationId: envelope.correlation_id,
            causationId: envelope.event_id,
            ...(envelope.traceparent === undefined ? {} : { traceparent: envelope.traceparent })
          }
          const publish = (events: ReadonlyArray<OutgoingEvent>) => Effect.orDie(sink.publish(events, emit))
          const counts = (r: SyncRun) => ({
            processed: r.processed,
            created: r.created,
            updated: r.updated,
            skipped: r.skipped,
            failed: r.failed
          })

          if (run.status === "queued") {
            const at = yield* now()
            yield* runs.markRunning(organizationId, runId, at)
            yield* publish([
              {
                definition: SyncStarted,
                payload: { runId, syncConfigId: run.syncConfigId, trigger: run.trigger, startedAt: at.toISOString() }
              }
            ])
          }

          const step = Effect.gen(function* () {
            const config = yield* configs.find(organizationId, run.syncConfigId)
            if (Option.isNone(config)) return yield* new RunAborted({ message: "the sync config no longer exists" })
            const { from, to } = sides(config.value)
            const source = yield* load(organizationId, from)
            const target = yield* load(organizationId, to)
            for (const side of [source, target]) {
              if (side.connection.status === "disabled") {
                return yield* new RunAborted({ message: `the connection ${side.connection.id} is disabled` })
              }
            }
            const reader = yield* endpoint(organizationId, source.connection, source.sealed, undefined)
            const writer = yield* endpoint(organizationId, target.connection, target.sealed, {
              runId: run.id,
              syncConfigId: config.value.id,
              object:
                config.value.direction === "source_to_target"
                  ? (config.value.targetObject ?? "contacts")
                  : (config.value.sourceObject ?? "contacts"),
              emit
            })
            if (reader.source === undefined) {
              return yield* new RunAborted({ message: `the connection ${source.connection.id} cannot be read` })
            }
            if (writer.target === undefined) {
              return yield* new RunAborted({ message: `the connection ${target.connection.id} cannot be written` })
            }
            const mapper = compile(yield* configs.mappings(organizationId, config.value.id))
            // Pages follow one another in this transaction while the step's budget lasts; then the
            // next page is requested (a new event, a new transaction).
            const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(stepBudget)
            let current = run
            let cp = checkpoint
            let pageNo = page
            const pages = reader.source
            // A page read and mapped (CPU in this process), apart from its writes (the database and the target).
            const readMapped = (position: string | null) =>
              Effect.map(read(pages, position, config.value.pageSize), (page_) => ({
                read_: page_,
                mapped: mapItems(page_.items, mapper, reader.idOf)
              }))
            let ahead: Fiber.Fiber<Effect.Success<ReturnType<typeof readMapped>>, RunAborted> | undefined
            for (;;) {
              const { read_, mapped } =
                ahead === undefined ? yield* readMapped(cp.position ?? null) : yield* Fiber.join(ahead)
              ahead = undefined
              // Read ahead: the next page is read and mapped while this one is written. Its result
              // is used only if this step goes on to it; otherwise it is interrupted (reads have
              // no effect), and the next step reads it again from the checkpoint.
              if (reader.readAhead && read_.next !== null && (yield* Clock.currentTimeMillis) < deadline) {
                ahead = yield* Effect.forkChild(readMapped(read_.next))
              }

              const known = yield* runs.checksums(
                organizationId,
                config.value.id,
                mapped.out.map((record) => record.externalId)
              )
              const changed = mapped.out.filter((record) => {
                const previous = known.get(record.externalId)
                if (previous === undefined) return true
                return previous !== record.checksum && config.value.conflictPolicy === "source_wins"
              })
              const write = writer.target.write(changed, cp.targetState ?? null).pipe(
                Effect.retry({ schedule: PageRetry, while: (error: RemoteError) => error.retryable }),
                Effect.mapError((error) => new RunAborted({ message: `writing failed: ${error.message}` }))
              )
              const aside = writer.writeAside && changed.length > 0
              // Write aside: the checksums are saved while the target writes the page, under a
              // savepoint; a failed write rolls them back (both finish before the outcome is read,
              // so no statement is interrupted).
              const written = aside
                ? yield* sql
                    .withTransaction(
                      Effect.all(
                        [
                          write,
                          runs.saveChecksums(
                            organizationId,
                            config.value.id,
                            run.id,
                            changed.filter((record) => !known.has(record.externalId)),
                            changed.filter((record) => known.has(record.externalId))
                          )
                        ],
                        {
                          concurrency: 2,
                          mode: "result"
                        }
                      ).pipe(
                        Effect.flatMap(([outcome]) =>
                          Result.isSuccess(outcome) ? Effect.succeed(outcome.success) : Effect.fail(outcome.failure)
                        )
                      )
                    )
                    .pipe(Effect.catchTag("SqlError", (error) => Effect.die(error)))
                : yield* write
              const refused = new Set(written.failures.map((failure) => failure.externalId))
              const ok = changed.filter((record) => !refused.has(record.externalId))
              if (!aside)
                yield* runs.saveChecksums(
                  organizationId,
                  config.value.id,
                  run.id,
                  ok.filter((record) => !known.has(record.externalId)),
                  ok.filter((record) => known.has(record.externalId))
                )
              else if (refused.size > 0) {
                // Not expected of a target that writes aside; kept exact all the same.
                yield* runs.restoreChecksums(
                  organizationId,
                  config.value.id,
                  changed
                    .filter((record) => refused.has(record.externalId))
                    .map((record) => ({
                      externalId: record.externalId,
                      checksum: known.get(record.externalId) ?? null
                    }))
                )
              }

              const created = ok.filter((record) => !known.has(record.externalId)).length
              const failures = [
                ...mapped.failures,
                ...written.failures.map((failure) => ({ externalId: failure.externalId, message: failure.message }))
              ]
              const failed = failures.length
              const skipped = mapped.out.length - changed.length + mapped.duplicates
              const total = {
                created: current.created + created,
                updated: current.updated + ok.length - created,
                skipped: current.skipped + skipped,
                failed: current.failed + failed
              }
              const last = read_.next === null
              const finishedStatus =
                total.failed === 0
                  ? ("succeeded" as const)
                  : total.created + total.updated + total.skipped === 0
                    ? ("failed" as const)
                    : ("partially_failed" as const)
              const at = yield* now()
              const next = { position: read_.next, targetState: written.state ?? cp.targetState ?? null }
              const saved = yield* runs.savePage(
                organizationId,
                run.id,
                {
                  created,
                  updated: ok.length - created,
                  skipped,
                  failed,
                  failures: failures
                    .slice(0, MAX_RECORDED_FAILURES)
                    .map((failure) => ({ page: pageNo, externalId: failure.externalId, message: failure.message })),
                  checkpoint: next,
                  finished: last
                    ? {
                        status: finishedStatus,
                        error: finishedStatus === "failed" ? `every record failed (${total.failed})` : null
                      }
                    : undefined
                },
                at
              )
              if (!last && at.getTime() < deadline) {
                current = saved
                cp = next
                pageNo++
                continue
              }
              if (ahead !== undefined) yield* Fiber.interrupt(ahead)
              if (!last) {
                yield* publish([
                  {
                    definition: SyncRequested,
                    payload: { runId: run.id, syncConfigId: run.syncConfigId, page: saved.currentPage }
                  }
                ])
              } else if (saved.status === "failed") {
                yield* publish([
                  {
                    definition: SyncFailed,
                    payload: {
                      runId: run.id,
                      syncConfigId: run.syncConfigId,
                      status: "failed",
                      error: saved.error ?? "failed",
                      counts: counts(saved),
                      finishedAt: at.toISOString()
                    }
                  }
                ])
              } else {
                yield* publish([
                  {
                    definition: SyncCompleted,
                    payload: {
                      runId: run.id,
                      syncConfigId: run.syncConfigId,
                      status: saved.status === "partially_failed" ? "partially_failed" : "succeeded",
                      counts: counts(saved),
                      pages: saved.currentPage,
                      finishedAt: at.toISOString()
                    }
                  }
                ])
              }
              return
            }
          })

          yield* step.pipe(
            Effect.catch((aborted: RunAborted) =>
              Effect.gen(function* () {
                const at = yield* now()
                const failed = yield* runs.fail(organizationId, runId, aborted.message, at)
                yield* Effect.logWarning(`sync run ${runId} failed: ${aborted.message}`)
                yield* publish([
                  {
                    definition: SyncFailed,
                    payload: {
                      runId,
                      syncConfigId: run.syncConfigId,
                      status: "failed",
                      error: aborted.message,
                      counts: counts(failed),
                      finishedAt: at.toISOString()
                    }
                  }
                ])
              })
            )
          )
        })

      return SyncEngine.of({ endpoint, preview, runPage })
    })
  )
}

export type { SyncConfigId, SyncRunId }
