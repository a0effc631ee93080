/**
 * Operating the dispatcher as contracts, so the OpenAPI document, the typed client, the
 * `tessera-dispatch` CLI and Studio share one surface: consumers and their lag, dead letters
 * (list, read, replay, discard with a reason kept for audit), the events of an organization by
 * type, producer, subject or correlation id, and one event's deliveries per consumer.
 *
 * Every operation is admin-only and sees the caller's organization's events: a dead letter of
 * another organization's event is not found. Consumer lag is the dispatcher's, across
 * organizations (counts only).
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"

export const owners = ["@tessera.platform"]

/** A consumer's name, `learning.progress`. */
export const ConsumerName = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))

/** An event's position in the dispatcher's log, as decimal digits (it is a 64-bit integer). */
export const Position = Schema.String.check(Schema.isPattern(/^[1-9]\d{0,18}$/)).pipe(
  Schema.annotate({ description: "Event position in the dispatcher's log (a 64-bit integer as decimal digits)" })
)

/** An instant as an ISO 8601 UTC string. */
export const Timestamp = Schema.String.check(
  Schema.isPattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/)
).pipe(Schema.annotate({ description: "ISO 8601 UTC timestamp" }))

const Text = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))

export class ConsumerNotFound extends ContractError<ConsumerNotFound>()(
  "ConsumerNotFound",
  {
    code: "CONSUMER_NOT_FOUND",
    status: 404,
    title: "Consumer not found",
    when: "No consumer of this name has subscriptions"
  },
  { consumer: Schema.String }
) {}

export class DeadLetterNotFound extends ContractError<DeadLetterNotFound>()(
  "DeadLetterNotFound",
  {
    code: "DEAD_LETTER_NOT_FOUND",
    status: 404,
    title: "Dead letter not found",
    when: "The consumer has no dead letter at this position for an event of the caller's organization"
  },
  { consumer: Schema.String, position: Schema.String }
) {}

export class EventNotFound extends ContractError<EventNotFound>()(
  "EventNotFound",
  {
    code: "EVENT_NOT_FOUND",
    status: 404,
    title: "Event not found",
    when: "No event with this id in the caller's organization"
  },
  { eventId: Schema.String }
) {}

export const ConsumerStatus = Schema.Struct({
  consumer: Schema.String,
  /** The event types it subscribes to. */
  eventTypes: Schema.Array(Schema.String),
  /** Deliveries not yet handled (being handled, waiting, backing off), dead ones excluded. */
  pending: Schema.Int,
  /** Of the pending ones, how many are leased to a worker right now. */
  inFlight: Schema.Int,
  /** Of the pending ones, how many wait for a retry after a failure. */
  retrying: Schema.Int,
  /** Age of the oldest undelivered event in milliseconds, 0 when nothing is pending. */
  oldestPendingAgeMillis: Schema.Number,
  /** Dead letters not yet replayed or discarded. */
  deadLetters: Schema.Int,
  /** Subjects a dead letter blocks (strict consumers only). */
  blockedSubjects: Schema.Int
})
export type ConsumerStatus = typeof ConsumerStatus.Type

export const ActivityBucket = Schema.Struct({
  consumer: Schema.String,
  /** The start of the minute. */
  minute: Timestamp,
  /** Events the consumer handled in that minute. */
  handled: Schema.Int,
  /** Events that went to its dead letters in that minute. */
  deadLettered: Schema.Int
})
export type ActivityBucket = typeof ActivityBucket.Type

export const DeadLetterStatus = Schema.Literals(["dead", "discarded"])

export const DeadLetter = Schema.Struct({
  consumer: Schema.String,
  position: Position,
  eventId: Schema.String,
  eventType: Schema.String,
  eventVersion: Schema.Int,
  subjectKey: Schema.String,
  /** InvalidPayload | UnknownVersion | Rejected | Exhausted | TimedOut | Abandoned */
  reason: Schema.String,
  /** What happened, in words: how many failures or expired leases, and the last error. */
  error: Schema.String,
  attempts: Schema.Int,
  failures: Schema.Int,
  abandoned: Schema.Int,
  /** `dead` (replayable) or `discarded` (kept for audit, with its reason). */
  status: DeadLetterStatus,
  discardReason: Schema.NullOr(Schema.String),
  deadAt: Timestamp
})
export type DeadLetter = typeof DeadLetter.Type

/** An event as the dispatcher stored it: the envelope, with its payload. */
export const StoredEvent = Schema.Struct({
  position: Position,
  eventId: Schema.String,
  eventType: Schema.String,
  eventVersion: Schema.Int,
  producer: Schema.String,
  subject: Schema.Struct({ type: Schema.String, id: Schema.String }),
  actor: Schema.Struct({ type: Schema.String, id: Schema.String }),
  correlationId: Schema.String,
  causationId: Schema.NullOr(Schema.String),
  traceparent: Schema.NullOr(Schema.String),
  occurredAt: Timestamp,
  recordedAt: Timestamp,
  payload: Schema.Unknown
})
export type StoredEvent = typeof StoredEvent.Type

export const DeliveryState = Schema.Literals([
  "handled",
  "pending",
  "in-flight",
  "retrying",
  "dead",
  "discarded",
  "unknown"
])
export type DeliveryState = typeof DeliveryState.Type

/** How one consumer handled one event. */
export const Delivery = Schema.Struct({
  consumer: Schema.String,
  state: DeliveryState,
  /** Failed runs so far (or before it died). */
  failures: Schema.Int,
  /** When the consumer's handler committed (state `handled`). */
  handledAt: Schema.NullOr(Timestamp),
  /** From the event's recording to the handler's commit, in milliseconds. */
  latencyMillis: Schema.NullOr(Schema.Number),
  /** The last error (pending with failures, or dead). */
  lastError: Schema.NullOr(Schema.String)
})
export type Delivery = typeof Delivery.Type

export const EventWithDeliveries = Schema.Struct({ event: StoredEvent, deliveries: Schema.Array(Delivery) })
export type EventWithDeliveries = typeof EventWithDeliveries.Type

/** A contract call, from the audit log. */
export const Request = Schema.Struct({
  contractKey: Schema.String,
  contractVersion: Schema.String,
  actor: Schema.Struct({ type: Schema.String, id: Schema.NullOr(Schema.String) }),
  requestId: Schema.String,
  occurredAt: Timestamp,
  eventIds: Schema.Array(Schema.String)
})
export type Request = typeof Request.Type

const Limit = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 500 }))

const consumerExample: ConsumerStatus = {
  consumer: "learning.progress",
  eventTypes: ["contact.created", "deal.won"],
  pending: 0,
  inFlight: 0,
  retrying: 0,
  oldestPendingAgeMillis: 0,
  deadLetters: 1,
  blockedSubjects: 0
}

export const ListConsumers = query({
  meta: {
    key: "dispatch.consumer.list",
    version: "1.0.0",
    stability: "beta",
    owners,
    tags: ["dispatch", "consumer", "operations"],
    description:
      "Every consumer (or one) with its lag: pending, in flight, retrying, oldest pending age, dead letters.",
    goal: "See at a glance whether events reach their consumers.",
    context: "Studio's consumers page, `tessera-dispatch lag`, alerting."
  },
  input: Schema.Struct({ consumer: Schema.optionalKey(ConsumerName) }),
  output: Schema.Struct({ items: Schema.Array(ConsumerStatus) }),
  errors: [ConsumerNotFound],
  policy: { auth: "admin" },
  audit: false,
  acceptance: {
    scenarios: [
      {
        key: "list-consumers-with-lag",
        given: ["The learning journey's consumer subscribes to the CRM's events"],
        when: ["An admin lists the consumers"],
        then: ["Each consumer is listed with its event types and its lag"]
      },
      {
        key: "unknown-consumer",
        given: ["No consumer named `nobody`"],
        when: ["An admin asks for `nobody`"],
        then: ["404 CONSUMER_NOT_FOUND"]
      },
      {
        key: "admin-only",
        given: ["A user without the admin role"],
        when: ["They call any dispatch operation"],
        then: ["403 FORBIDDEN"]
      }
    ],
    examples: [
      {
        key: "one-consumer",
        input: { consumer: "learning.progress" },
        output: { items: [consumerExample] }
      }
    ]
  }
})

export const ConsumerActivity = query({
  meta: {
    key: "dispatch.consumer.activity",
    version: "1.0.0",
    stability: "beta",
    owners,
    tags: ["dispatch", "consumer", "operations"],
    description: "Per consumer and minute over the last minutes: events handled and events dead-lettered.",
    goal: "See throughput and failures over time.",
    context: "Studio's consumers chart."
  },
  input: Schema.Struct({
    consumer: Schema.optionalKey(ConsumerName),
    /** 1 to 60; 15 when omitted. */
    minutes: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 60 })))
  }),
  output: Schema.Struct({ since: Timestamp, items: Schema.Array(ActivityBucket) }),
  errors: [ConsumerNotFound],
  policy: { auth: "admin" },
  audit: false
})

export const ListDeadLetters = query({
  meta: {
    key: "dispatch.deadLetter.list",
    version: "1.0.0",
    stability: "beta",
    owners,
    tags: ["dispatch", "dead-letter", "operations"],
    description: "Dead letters of the caller's organization's events, oldest first; discarded ones on request.",
    goal: "Find the events a consumer gave up on.",
    context: "Studio's consumers page, `tessera-dispatch dead-letters`."
  },
  input: Schema.Struct({
    consumer: Schema.optionalKey(ConsumerName),
    eventType: Schema.optionalKey(Text),
    /** Also list discarded dead letters (kept for audit). */
    includeDiscarded: Schema.optionalKey(Schema.Boolean),
    /** 1 to 500; 100 when omitted. */
    limit: Schema.optionalKey(Limit)
  }),
  output: Schema.Struct({ items: Schema.Array(DeadLetter) }),
  errors: [ConsumerNotFound],
  policy: { auth: "admin" },
  audit: false
})

export const GetDeadLetter = query({
  meta: {
    key: "dispatch.deadLetter.get",
    version: "1.0.0",
    stability: "beta",
    owners,
    tags: ["dispatch", "dead-letter", "operations"],
    description: "One dead letter with its event's envelope and payload.",
    goal: "Understand why a consumer gave up on an event before replaying or discarding it.",
    context: "Studio's dead letter drawer."
  },
  input: Schema.Struct({ consumer: ConsumerName, position: Position }),
  output: Schema.Struct({ deadLetter: DeadLetter, event: StoredEvent }),
  errors: [ConsumerNotFound, DeadLetterNotFound],
  policy: { auth: "admin" },
  audit: false
})

export const ReplayDeadLetters = command({
  meta: {
    key: "dispatch.deadLetter.replay",
    version: "1.0.0",
    stability: "beta",
    owners,
    tags: ["dispatch", "dead-letter", "operations"],
    description:
      "Hands dead letters back to their consumer: one (positions: [p]), a filter (event type, positions) or all of the consumer's.",
    goal: "Deliver events again once the cause of their failure is fixed.",
    context: "Studio's replay buttons, `tessera-dispatch replay`."
  },
  input: Schema.Struct({
    consumer: ConsumerName,
    /** Only these; every dead letter of the consumer (in the caller's organization) when omitted. */
    positions: Schema.optionalKey(Schema.Array(Position).check(Schema.isMinLength(1), Schema.isMaxLength(1000))),
    /** Only dead letters of this event type. */
    eventType: Schema.optionalKey(Text)
  }),
  output: Schema.Struct({ replayed: Schema.Int }),
  errors: [ConsumerNotFound],
  policy: { auth: "admin" },
  acceptance: {
    scenarios: [
      {
        key: "replay-delivers",
        given: ["A consumer's handler failed on an event until it went to the dead letters", "The cause is fixed"],
        when: ["An admin replays the dead letter"],
        then: ["It leaves the dead letters", "The consumer handles the event"]
      }
    ],
    examples: [
      { key: "replay-one", input: { consumer: "learning.progress", positions: ["42"] }, output: { replayed: 1 } }
    ]
  }
})

export const DiscardDeadLetters = command({
  meta: {
    key: "dispatch.deadLetter.discard",
    version: "1.0.0",
    stability: "beta",
    owners,
    tags: ["dispatch", "dead-letter", "operations"],
    description: "Gives dead letters up for good, with a reason: never replayed, still listed as discarded for audit.",
    goal: "Close a dead letter that must not be delivered, leaving a trace of who decided and why.",
    context: "Studio's discard button, `tessera-dispatch discard`."
  },
  input: Schema.Struct({
    consumer: ConsumerName,
    positions: Schema.Array(Position).check(Schema.isMinLength(1), Schema.isMaxLength(1000)),
    reason: Schema.String.check(Schema.isMinLength(3), Schema.isMaxLength(500))
  }),
  output: Schema.Struct({ discarded: Schema.Int }),
  errors: [ConsumerNotFound],
  policy: { auth: "admin" },
  audit: { action: "dispatch.deadLetter.discard", input: true },
  acceptance: {
    scenarios: [
      {
        key: "discard-keeps-audit",
        given: ["A dead letter"],
        when: ["An admin discards it with a reason"],
        then: [
          "It leaves the list of dead letters",
          "It is still listed as discarded, with the reason",
          "The call is in the audit log"
        ]
      }
    ]
  }
})

export const ListEvents = query({
  meta: {
    key: "dispatch.event.list",
    version: "1.0.0",
    stability: "beta",
    owners,
    tags: ["dispatch", "event", "operations"],
    description:
      "The caller's organization's events by type, producer, subject or correlation id: the latest `limit`, or the first after a position.",
    goal: "Find what happened, and follow it as it happens.",
    context: "Studio's live tail and flows, support."
  },
  input: Schema.Struct({
    type: Schema.optionalKey(Text),
    producer: Schema.optionalKey(Text),
    /** The subject's id (or `type:id`). */
    subject: Schema.optionalKey(Text),
    correlationId: Schema.optionalKey(Text),
    /** Only events after this position, oldest first (follow a tail). */
    after: Schema.optionalKey(Position),
    /** 1 to 500; 100 when omitted. */
    limit: Schema.optionalKey(Limit)
  }),
  output: Schema.Struct({
    /** In log order (oldest first). */
    items: Schema.Array(StoredEvent),
    /** The last position the caller has seen (pass as `after` to follow). */
    lastPosition: Schema.NullOr(Position)
  }),
  policy: { auth: "admin" },
  audit: false
})

export const GetEvent = query({
  meta: {
    key: "dispatch.event.get",
    version: "1.0.0",
    stability: "beta",
    owners,
    tags: ["dispatch", "event", "operations"],
    description: "One event's envelope and how each subscribed consumer handled it.",
    goal: "Follow an event to every consumer.",
    context: "Studio's event drawer."
  },
  input: Schema.Struct({ eventId: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64)) }),
  output: EventWithDeliveries,
  errors: [EventNotFound],
  policy: { auth: "admin" },
  audit: false
})

export const GetFlow = query({
  meta: {
    key: "dispatch.flow.get",
    version: "1.0.0",
    stability: "beta",
    owners,
    tags: ["dispatch", "flow", "operations"],
    description:
      "Everything one correlation id caused: the contract calls, every event they emitted across domains and each consumer's handling.",
    goal: "See a request's whole story across domains as a timeline.",
    context: "Studio's flows page."
  },
  input: Schema.Struct({ correlationId: Text }),
  output: Schema.Struct({
    correlationId: Schema.String,
    requests: Schema.Array(Request),
    events: Schema.Array(EventWithDeliveries)
  }),
  policy: { auth: "admin" },
  audit: false
})
