/**
 * A consumer: a named reaction of one domain to event types, with a handler per type written
 * against one version of it (events stored as older versions reach it through the registry's
 * upcasters). Workers (`Worker.ts`) run consumers; any number of processes may run the same one.
 *
 *     const indexNotes = Consumer.make({
 *       name: "search.indexNotes",
 *       domain: "search",
 *       handlers: [
 *         Consumer.on(NoteAddedV2, (event) =>
 *           Effect.flatMap(SqlClient.SqlClient, (sql) => sql`INSERT INTO search.notes …`))
 *       ]
 *     })
 *
 * A handler runs inside the delivery's database transaction (its `SqlClient` statements join it,
 * together with the inbox row), so its database effects happen exactly once. Anything else it
 * does (HTTP calls) happens at least once. A failure is retried with the consumer's `retry`
 * schedule; `Consumer.reject` sends the event to the dead letters at once.
 */
import type { DecodedEnvelope } from "@tessera/envelope/Envelope"
import type { AnyEventDefinition, PayloadOf } from "@tessera/envelope/EventDefinition"
import * as Registry from "@tessera/envelope/Registry"
import { Cause, Data, type Duration, Effect, Exit, Metric, Schedule, Tracer } from "effect"

/** What a handler receives: the envelope with a decoded (and, if needed, upcast) payload. */
export interface DeliveredEvent<P> extends DecodedEnvelope<P> {
  /** 1 on the first delivery to this consumer, 2 on the first retry, … */
  readonly attempt: number
}

/** The stored event a worker claimed, before decoding. */
export interface StoredEvent {
  readonly envelope: Omit<DecodedEnvelope<unknown>, "payload">
  readonly payload: unknown
  readonly attempt: number
}

/** A handler's failure that no retry can fix: the event goes to the dead letters at once. */
export class Rejected extends Data.TaggedError("Rejected")<{
  readonly message: string
}> {}

export const reject = (message: string) => Effect.fail(new Rejected({ message }))

export interface Handler<R> {
  readonly definition: AnyEventDefinition
  /** Decodes a stored event for this handler, returning the effect that handles it. */
  readonly prepare: (
    registry: Registry.Registry,
    stored: StoredEvent
  ) => Effect.Effect<Effect.Effect<void, unknown, R>, Registry.DecodeFailure>
}

export const on = <D extends AnyEventDefinition, E, R>(
  definition: D,
  handle: (event: DeliveredEvent<PayloadOf<D>>) => Effect.Effect<unknown, E, R>
): Handler<R> => ({
  definition,
  prepare: (registry, stored) =>
    Effect.map(Registry.decodeAs(registry, definition, stored.envelope.event_version, stored.payload), (payload) =>
      Effect.asVoid(handle({ ...stored.envelope, payload, attempt: stored.attempt }))
    )
})

/** Retry delays, given the error: by default 100 ms doubling with jitter, 10 attempts in all. */
export const defaultRetry: Schedule.Schedule<Duration.Duration, unknown> = Schedule.exponential("100 millis").pipe(
  Schedule.jittered,
  Schedule.upTo({ times: 9 })
)

export interface Consumer<R> {
  /** Unique across the system, e.g. `search.indexNotes`: deliveries, inbox and lag are per name. */
  readonly name: string
  /** The domain it belongs to: must be a registered consumer of each event type it handles. */
  readonly domain: string
  readonly handlers: ReadonlyArray<Handler<R>>
  /**
   * Delays between attempts. Stepped once per failed attempt; when it ends, the event goes to the
   * dead letters with its last error.
   */
  readonly retry: Schedule.Schedule<unknown, unknown>
  /**
   * What a dead letter does to the rest of its subject:
   * - `skip` (the default): the subject's later events go on; the dead event is skipped until it
   *   is replayed (then handled after events that followed it).
   * - `strict`: the dead letter blocks its subject (its later events wait, in order) until it is
   *   replayed or discarded; blocked subjects show in `DispatchAdmin.lag` and `health`.
   */
  readonly order: OrderMode
  /**
   * What its events are ordered by (one event in flight per key, across all processes):
   * - `subject` (the default): the event's subject (a deal, an invoice).
   * - `actor`: who acted (`user:42`), for a handler that updates state per actor: its events are
   *   handled one at a time per actor, so lanes never contend for the same rows and batches never
   *   give way to each other (the learning journey's progress, kept per learner).
   * Set when the consumer first subscribes to an event type (and updated by a later start): events
   * already waiting keep the key they were published with.
   */
  readonly sequence: Sequence
  /**
   * This consumer's shape, when it knows better than the process's defaults (a `Worker` option
   * given explicitly still wins): lanes per process, and events per handler transaction.
   */
  readonly concurrency?: number | undefined
  readonly transactionSize?: number | undefined
}

export type OrderMode = "strict" | "skip"

export type Sequence = "subject" | "actor"

/** Handler runs, by consumer, event type and outcome (`handled`, `failed`, `interrupted`), in this process. */
const handlerRuns = Metric.counter("tessera_dispatch_handler_runs_total", {
  description:
    "Consumer handler runs in this process, by consumer, event type and outcome (handled, failed, interrupted)",
  incremental: true
})

/** The span a W3C `traceparent` names (the producer's `outbox.publish`), to continue its trace. */
const producerSpan = (traceparent: string | undefined): Tracer.ExternalSpan | undefined => {
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceparent ?? "")
  if (match === null) return undefined
  const [, version, traceId, spanId, flags] = match
  if (version === "ff" || traceId === undefined || spanId === undefined || flags === undefined) return undefined
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined
  return Tracer.externalSpan({ traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 })
}

/**
 * Each run of a handler of `consumer` in a span that continues the producer's trace (the
 * envelope's `traceparent`), so a request and every consumer's handling of its events are one
 * trace, and counted by outcome.
 */
const observed = <R>(consumer: string, handler: Handler<R>): Handler<R> => {
  // The counter for each outcome of this handler, made once (not per event).
  const eventType = handler.definition.type
  const runs = {
    handled: Metric.withAttributes(handlerRuns, { consumer, event_type: eventType, outcome: "handled" }),
    failed: Metric.withAttributes(handlerRuns, { consumer, event_type: eventType, outcome: "failed" }),
    interrupted: Metric.withAttributes(handlerRuns, { consumer, event_type: eventType, outcome: "interrupted" })
  }
  const spanName = `consume ${consumer} ${eventType}`
  return {
    definition: handler.definition,
    prepare: (registry, stored) =>
      Effect.map(handler.prepare(registry, stored), (run) => {
        const parent = producerSpan(stored.envelope.traceparent)
        return run.pipe(
          Effect.onExit((exit) =>
            Metric.update(
              Exit.isSuccess(exit)
                ? runs.handled
                : Cause.hasInterruptsOnly(exit.cause)
                  ? runs.interrupted
                  : runs.failed,
              1
            )
          ),
          Effect.withSpan(
            spanName,
            {
              kind: "consumer",
              ...(parent === undefined ? {} : { parent }),
              attributes: {
                "messaging.system": "tessera-dispatch",
                "messaging.consumer.group.name": consumer,
                "messaging.message.id": stored.envelope.event_id,
                "tessera.event_type": eventType,
                "tessera.event_version": stored.envelope.event_version,
                "tessera.producer": stored.envelope.producer,
                "tessera.attempt": stored.attempt
              }
            },
            // The call site is the worker's loop, the same for every event: not worth a stack trace each.
            { captureStackTrace: false }
          )
        )
      })
  }
}

export const make = <R>(options: {
  readonly name: string
  readonly domain: string
  readonly handlers: ReadonlyArray<Handler<R>>
  readonly retry?: Schedule.Schedule<unknown, unknown> | undefined
  readonly order?: OrderMode | undefined
  readonly sequence?: Sequence | undefined
  readonly concurrency?: number | undefined
  readonly transactionSize?: number | undefined
}): Consumer<R> => ({
  name: options.name,
  domain: options.domain,
  handlers: options.handlers.map((handler) => observed(options.name, handler)),
  retry: options.retry ?? defaultRetry,
  order: options.order ?? "skip",
  sequence: options.sequence ?? "subject",
  concurrency: options.concurrency,
  transactionSize: options.transactionSize
})

/**
 * Every problem with running `consumer` against `registry`: unregistered events, a domain that
 * is not a registered consumer, two handlers for one type. Empty when it may run.
 */
export const check = <R>(consumer: Consumer<R>, registry: Registry.Registry): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const seen = new Set<string>()
  for (const handler of consumer.handlers) {
    const { type, version } = handler.definition
    if (seen.has(type)) problems.push(`${consumer.name}: two handlers for ${type}`)
    seen.add(type)
    const entry = Registry.findEntry(registry, type)
    if (entry._tag === "None") {
      problems.push(`${consumer.name}: ${type} is not in the event registry`)
      continue
    }
    if (!entry.value.consumers.includes(consumer.domain))
      problems.push(`${consumer.name}: ${consumer.domain} is not a registered consumer of ${type}`)
    const registered = entry.value.versions.find((v) => v.definition.version === version)
    if (registered === undefined || registered.definition !== handler.definition)
      problems.push(`${consumer.name}: ${type}@${version} is not the registered definition`)
  }
  return problems
}
