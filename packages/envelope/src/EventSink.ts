/**
 * The emit interface: where a handler's events go. `@tessera/contract-kit` calls it inside the
 * call's database transaction; `@tessera/dispatcher` implements it as the transactional outbox.
 * Keeping the interface here lets the contract kit emit without importing the dispatcher.
 */
import { Context, Data, type Effect } from "effect"
import type { Actor, AnyEventDefinition, Subject } from "./EventDefinition.ts"

/** One event a handler emitted, before it becomes an envelope. */
export interface OutgoingEvent {
  readonly definition: AnyEventDefinition
  /** The decoded payload (`definition.payload.Type`); the sink validates and encodes it. */
  readonly payload: unknown
  /** Overrides `definition.subject(payload)`. */
  readonly subject?: Subject | undefined
  /** When it happened; defaults to the sink's clock. */
  readonly occurredAt?: Date | undefined
}

/** Per-call facts every envelope of the call carries. */
export interface EmitContext {
  /** The domain emitting (`crm`, `learning`, …): must be the registered producer of each event. */
  readonly producer: string
  /** The tenant the call acts for; consumers scope their effects by it. */
  readonly organizationId: string
  readonly actor: Actor
  /** Shared by every event caused, directly or not, by one original request. */
  readonly correlationId: string
  /** The event (id) that caused this call, when the call is itself a reaction to an event. */
  readonly causationId?: string | undefined
  /** W3C trace context of the call, when traced. */
  readonly traceparent?: string | undefined
}

export type EventPublishErrorReason =
  | "Unregistered" // no registry entry for this type/version
  | "NotProducer" // the emitting domain is not the registered producer
  | "Retired" // the version is retired
  | "PastCutover" // the version is deprecated and its cutover date has passed
  | "InvalidPayload" // the payload does not match the version's schema
  | "Storage" // the outbox write failed

export class EventPublishError extends Data.TaggedError("EventPublishError")<{
  readonly reason: EventPublishErrorReason
  readonly eventType: string
  readonly eventVersion: number
  readonly message: string
  readonly cause?: unknown
}> {}

export class EventSink extends Context.Service<
  EventSink,
  {
    /**
     * Records events in the caller's current database transaction (if one is open on the same
     * SQL client): they commit or roll back with the caller's state. Returns the event ids.
     */
    readonly publish: (
      events: ReadonlyArray<OutgoingEvent>,
      context: EmitContext
    ) => Effect.Effect<ReadonlyArray<string>, EventPublishError>
  }
>()("@tessera/envelope/EventSink") {}
