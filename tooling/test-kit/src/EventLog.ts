/**
 * The events a test's apps published, read back from the outbox (`dispatch.events`) and decoded
 * with their registered schemas, and the causal chain of one request: the events it published,
 * which consumers handled each (the inbox), and the events those handlings published in turn
 * (`causation_id`), down to the last — for assertions and for a failure message a person can read.
 */
import type { AnyEventDefinition, PayloadOf } from "@tessera/envelope/EventDefinition"
import * as Payload from "@tessera/envelope/Payload"
import * as Registry from "@tessera/envelope/Registry"
import { Data, Effect, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"

/** An event as published, with its payload decoded by its registered version's schema. */
export interface PublishedEvent<P = unknown> {
  readonly position: bigint
  readonly eventId: string
  readonly type: string
  readonly version: number
  readonly producer: string
  readonly organizationId: string
  readonly subject: { readonly type: string; readonly id: string }
  readonly actor: { readonly type: string; readonly id: string }
  readonly correlationId: string
  readonly causationId: string | null
  readonly occurredAt: Date
  readonly payload: P
}

export interface EventFilter {
  /** An event type (`deal.won`) or its definition. */
  readonly type?: string | AnyEventDefinition | undefined
  /** `deal:<id>`, or `{ type, id }` (either part may be omitted). */
  readonly subject?: string | { readonly type?: string | undefined; readonly id?: string | undefined } | undefined
  readonly organizationId?: string | undefined
  readonly correlationId?: string | undefined
  /** Only events after this position (see `StackTest`'s `mark`). */
  readonly after?: bigint | undefined
}

/** A stored payload that does not decode with its registered schema. */
export class UndecodableEvent extends Data.TaggedError("UndecodableEvent")<{ readonly message: string }> {}

const Row = Schema.Struct({
  position: Schema.BigInt,
  event_id: Schema.String,
  event_type: Schema.String,
  event_version: Schema.Number,
  producer: Schema.String,
  organization_id: Schema.String,
  subject_type: Schema.String,
  subject_id: Schema.String,
  actor_type: Schema.String,
  actor_id: Schema.String,
  correlation_id: Schema.String,
  causation_id: Schema.NullOr(Schema.String),
  occurred_at: Schema.Date,
  payload: Schema.Unknown
})
type Row = typeof Row.Type
const decodeRows = Schema.decodeUnknownEffect(Schema.Array(Row))

const subjectOf = (filter: EventFilter["subject"]) => {
  if (filter === undefined) return { type: undefined, id: undefined }
  if (typeof filter !== "string") return filter
  const colon = filter.indexOf(":")
  return colon < 0 ? { type: filter, id: undefined } : { type: filter.slice(0, colon), id: filter.slice(colon + 1) }
}

/** The stored rows matching `filter`, in publish order. */
export const rows = (filter: EventFilter = {}) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const type = typeof filter.type === "object" ? filter.type.type : filter.type
    const subject = subjectOf(filter.subject)
    const where = [
      type === undefined ? sql`TRUE` : sql`event_type = ${type}`,
      subject.type === undefined ? sql`TRUE` : sql`subject_type = ${subject.type}`,
      subject.id === undefined ? sql`TRUE` : sql`subject_id = ${subject.id}`,
      filter.organizationId === undefined ? sql`TRUE` : sql`organization_id = ${filter.organizationId}`,
      filter.correlationId === undefined ? sql`TRUE` : sql`correlation_id = ${filter.correlationId}`,
      filter.after === undefined ? sql`TRUE` : sql`position > ${filter.after.toString()}::bigint`
    ]
    return yield* sql`
      SELECT position, event_id::text, event_type, event_version, producer, organization_id, subject_type,
        subject_id, actor_type, actor_id, correlation_id, causation_id, occurred_at, payload
      FROM dispatch.events WHERE ${sql.and(where)} ORDER BY position`.pipe(Effect.flatMap(decodeRows), Effect.orDie)
  })

const toPublished = <P>(row: Row, payload: P): PublishedEvent<P> => ({
  position: row.position,
  eventId: row.event_id,
  type: row.event_type,
  version: row.event_version,
  producer: row.producer,
  organizationId: row.organization_id,
  subject: { type: row.subject_type, id: row.subject_id },
  actor: { type: row.actor_type, id: row.actor_id },
  correlationId: row.correlation_id,
  causationId: row.causation_id,
  occurredAt: row.occurred_at,
  payload
})

/** Decodes a row with the schema registered for its type and version. */
export const decode = (registry: Registry.Registry, row: Row) => {
  const registered = Registry.findVersion(registry, row.event_type, row.event_version)
  if (Option.isNone(registered)) {
    return Effect.fail(
      new UndecodableEvent({ message: `${row.event_type}@${row.event_version} is not in the event registry` })
    )
  }
  return Payload.decode(registered.value.definition, row.payload).pipe(
    Effect.map((payload) => toPublished<unknown>(row, payload)),
    Effect.mapError(
      (error) =>
        new UndecodableEvent({
          message: `${row.event_type}@${row.event_version} ${row.event_id}: ${error.message}`
        })
    )
  )
}

/** Events matching `filter`, decoded. */
export const events = (registry: Registry.Registry, filter: EventFilter = {}) =>
  Effect.flatMap(rows(filter), (found) => Effect.forEach(found, (row) => decode(registry, row)))

/** Events of one definition matching `filter`, decoded (and upcast) to that definition's payload type. */
export const eventsOf = <D extends AnyEventDefinition>(
  registry: Registry.Registry,
  definition: D,
  filter: Omit<EventFilter, "type"> = {}
) =>
  Effect.flatMap(rows({ ...filter, type: definition.type }), (found) =>
    Effect.forEach(found, (row) =>
      Registry.decodeAs(registry, definition, row.event_version, row.payload).pipe(
        Effect.map((payload): PublishedEvent<PayloadOf<D>> => toPublished(row, payload)),
        Effect.mapError((failure) => new UndecodableEvent({ message: `${row.event_id}: ${failure.message}` }))
      )
    )
  )

// --- causal chains ------------------------------------------------------------------------------

/** One event of a chain: who handled it, what it caused. */
export interface ChainNode {
  readonly event: PublishedEvent
  /** Consumers that handled it (their inbox has it). */
  readonly handledBy: ReadonlyArray<string>
  /** Consumers it is still waiting for (a delivery row), with their last error if any. */
  readonly pending: ReadonlyArray<{ readonly consumer: string; readonly lastError: string | null }>
  /** Dead letters of it, with their reason. */
  readonly deadLetters: ReadonlyArray<{ readonly consumer: string; readonly reason: string; readonly error: string }>
  /** Events published by handling it. */
  readonly caused: ReadonlyArray<ChainNode>
}

export interface Chain {
  readonly correlationId: string
  /** The request's own events (no cause among the chain's events), each with what followed. */
  readonly roots: ReadonlyArray<ChainNode>
  /** Every event of the chain, in publish order. */
  readonly events: ReadonlyArray<PublishedEvent>
  /** The chain as an indented text, one line per event and handling: for failure messages. */
  readonly text: string
}

const render = (nodes: ReadonlyArray<ChainNode>, indent: string): Array<string> =>
  nodes.flatMap((node) => {
    const e = node.event
    const lines = [
      `${indent}${e.type}@${e.version} ${e.subject.type}:${e.subject.id} by ${e.actor.type} ${e.actor.id} (${e.producer}, #${e.position})`
    ]
    for (const consumer of node.handledBy) lines.push(`${indent}  ✓ handled by ${consumer}`)
    for (const p of node.pending)
      lines.push(`${indent}  … pending for ${p.consumer}${p.lastError === null ? "" : ` (last error: ${p.lastError})`}`)
    for (const d of node.deadLetters) lines.push(`${indent}  ✗ dead letter of ${d.consumer}: ${d.reason}: ${d.error}`)
    return [...lines, ...render(node.caused, `${indent}    `)]
  })

/** The causal chain of every request made with `correlationId` (see `StackTest`'s clients). */
export const chain = (registry: Registry.Registry, correlationId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const all = yield* events(registry, { correlationId })
    const ids = `{${all.map((e) => e.eventId).join(",")}}`
    const handled = yield* sql<{ consumer: string; event_id: string }>`
      SELECT consumer, event_id::text FROM dispatch.inbox WHERE event_id = ANY(${ids}::uuid[]) ORDER BY consumer`
    const pending = yield* sql<{ consumer: string; event_id: string; last_error: string | null }>`
      SELECT d.consumer, e.event_id::text, d.last_error FROM dispatch.deliveries d
      JOIN dispatch.events e ON e.position = d.position
      WHERE e.event_id = ANY(${ids}::uuid[]) AND NOT d.dead ORDER BY d.consumer`
    const dead = yield* sql<{ consumer: string; event_id: string; reason: string; error: string }>`
      SELECT x.consumer, e.event_id::text, x.reason, x.error FROM dispatch.dead_letters x
      JOIN dispatch.events e ON e.position = x.position
      WHERE e.event_id = ANY(${ids}::uuid[]) AND x.status = 'dead' ORDER BY x.consumer`
    const inChain = new Set(all.map((e) => e.eventId))
    const node = (event: PublishedEvent): ChainNode => ({
      event,
      handledBy: handled.filter((h) => h.event_id === event.eventId).map((h) => h.consumer),
      pending: pending
        .filter((p) => p.event_id === event.eventId)
        .map((p) => ({ consumer: p.consumer, lastError: p.last_error })),
      deadLetters: dead
        .filter((d) => d.event_id === event.eventId)
        .map((d) => ({ consumer: d.consumer, reason: d.reason, error: d.error })),
      caused: all.filter((e) => e.causationId === event.eventId).map(node)
    })
    const roots = all.filter((e) => e.causationId === null || !inChain.has(e.causationId)).map(node)
    const text = [`request ${correlationId}:`, ...(roots.length === 0 ? ["  (no events)"] : render(roots, "  "))].join(
      "\n"
    )
    return { correlationId, roots, events: all, text } satisfies Chain
  })
