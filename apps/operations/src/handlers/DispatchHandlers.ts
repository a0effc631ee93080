/**
 * dispatch.consumer.list, dispatch.consumer.activity, dispatch.deadLetter.list,
 * dispatch.deadLetter.get, dispatch.deadLetter.replay, dispatch.deadLetter.discard,
 * dispatch.event.list, dispatch.event.get, dispatch.flow.get
 *
 * Lag, replay and discard are `DispatchAdmin`'s; reads of events and dead letters are the
 * `EventLog`'s, scoped to the caller's organization.
 */
import { implement } from "@tessera/contract-server/Implementation"
import {
  ConsumerActivity,
  ConsumerNotFound,
  DeadLetterNotFound,
  DiscardDeadLetters,
  EventNotFound,
  GetDeadLetter,
  GetEvent,
  GetFlow,
  ListConsumers,
  ListDeadLetters,
  ListEvents,
  ReplayDeadLetters
} from "@tessera/contracts/dispatch/Admin"
import { DispatchAdmin } from "@tessera/dispatcher/DispatchAdmin"
import { Clock, Effect } from "effect"
import { EventLog } from "../services/EventLog.ts"

/** Fails with `ConsumerNotFound` unless `consumer` has subscriptions. */
const requireConsumer = (consumer: string | undefined) =>
  Effect.gen(function* () {
    if (consumer === undefined) return
    const admin = yield* DispatchAdmin
    const lag = yield* admin.lag(consumer).pipe(Effect.orDie)
    if (lag.length === 0)
      return yield* new ConsumerNotFound({ consumer, detail: `No consumer named ${consumer} has subscriptions` })
  })

/** Everything a replay or discard may touch: the consumer's dead letters of the caller's organization. */
const MAX_BATCH = 1000

export const listConsumers = implement(ListConsumers, (input) =>
  Effect.gen(function* () {
    const admin = yield* DispatchAdmin
    const log = yield* EventLog
    const lag = yield* admin.lag(input.consumer).pipe(Effect.orDie)
    if (input.consumer !== undefined && lag.length === 0) {
      return yield* new ConsumerNotFound({
        consumer: input.consumer,
        detail: `No consumer named ${input.consumer} has subscriptions`
      })
    }
    const subscriptions = yield* log.subscriptions.pipe(Effect.orDie)
    const typesOf = new Map(subscriptions.map((s) => [s.consumer, s.eventTypes]))
    return {
      items: lag.map((l) => ({
        consumer: l.consumer,
        eventTypes: typesOf.get(l.consumer) ?? [],
        pending: l.pending,
        inFlight: l.inFlight,
        retrying: l.retrying,
        oldestPendingAgeMillis: l.oldestAgeMillis,
        deadLetters: l.deadLetters,
        blockedSubjects: l.blockedSubjects
      }))
    }
  })
)

export const consumerActivity = implement(ConsumerActivity, (input) =>
  Effect.gen(function* () {
    yield* requireConsumer(input.consumer)
    const log = yield* EventLog
    const minutes = input.minutes ?? 15
    const now = yield* Clock.currentTimeMillis
    const items = yield* log.activity(minutes, input.consumer).pipe(Effect.orDie)
    return { since: new Date(now - minutes * 60_000).toISOString(), items }
  })
)

export const listDeadLetters = implement(ListDeadLetters, (input, { actor }) =>
  Effect.gen(function* () {
    yield* requireConsumer(input.consumer)
    const log = yield* EventLog
    const items = yield* log
      .deadLetters({
        organizationId: actor.organizationId,
        consumer: input.consumer,
        eventType: input.eventType,
        includeDiscarded: input.includeDiscarded ?? false,
        limit: input.limit ?? 100
      })
      .pipe(Effect.orDie)
    return { items }
  })
)

export const getDeadLetter = implement(GetDeadLetter, (input, { actor }) =>
  Effect.gen(function* () {
    yield* requireConsumer(input.consumer)
    const log = yield* EventLog
    const [deadLetter] = yield* log
      .deadLetters({
        organizationId: actor.organizationId,
        consumer: input.consumer,
        positions: [input.position],
        includeDiscarded: true,
        limit: 1
      })
      .pipe(Effect.orDie)
    if (deadLetter === undefined) {
      return yield* new DeadLetterNotFound({
        consumer: input.consumer,
        position: input.position,
        detail: `${input.consumer} has no dead letter at position ${input.position}`
      })
    }
    const event = yield* log.event(actor.organizationId, deadLetter.eventId).pipe(Effect.orDie)
    if (event === undefined) {
      return yield* new DeadLetterNotFound({
        consumer: input.consumer,
        position: input.position,
        detail: `${input.consumer} has no dead letter at position ${input.position}`
      })
    }
    return { deadLetter, event }
  })
)

/** The positions of the consumer's live dead letters in the caller's organization that match. */
const deadPositions = (
  organizationId: string,
  consumer: string,
  filter: { readonly positions?: ReadonlyArray<string> | undefined; readonly eventType?: string | undefined }
) =>
  Effect.gen(function* () {
    const log = yield* EventLog
    const letters = yield* log
      .deadLetters({
        organizationId,
        consumer,
        positions: filter.positions,
        eventType: filter.eventType,
        includeDiscarded: false,
        limit: MAX_BATCH
      })
      .pipe(Effect.orDie)
    return letters.map((letter) => BigInt(letter.position))
  })

export const replayDeadLetters = implement(ReplayDeadLetters, (input, { actor }) =>
  Effect.gen(function* () {
    yield* requireConsumer(input.consumer)
    const positions = yield* deadPositions(actor.organizationId, input.consumer, input)
    if (positions.length === 0) return { replayed: 0 }
    const admin = yield* DispatchAdmin
    const replayed = yield* admin.replay({ consumer: input.consumer, positions }).pipe(Effect.orDie)
    return { replayed }
  })
)

export const discardDeadLetters = implement(DiscardDeadLetters, (input, { actor }) =>
  Effect.gen(function* () {
    yield* requireConsumer(input.consumer)
    const positions = yield* deadPositions(actor.organizationId, input.consumer, { positions: input.positions })
    if (positions.length === 0) return { discarded: 0 }
    const admin = yield* DispatchAdmin
    const discarded = yield* admin
      .discard({ consumer: input.consumer, positions, reason: `${input.reason} (by ${actor.userId})` })
      .pipe(Effect.orDie)
    return { discarded }
  })
)

export const listEvents = implement(ListEvents, (input, { actor }) =>
  Effect.gen(function* () {
    const log = yield* EventLog
    const items = yield* log
      .events({
        organizationId: actor.organizationId,
        type: input.type,
        producer: input.producer,
        subject: input.subject,
        correlationId: input.correlationId,
        after: input.after,
        limit: input.limit ?? 100
      })
      .pipe(Effect.orDie)
    const last = items.at(-1)
    return { items, lastPosition: last === undefined ? (input.after ?? null) : last.position }
  })
)

export const getEvent = implement(GetEvent, (input, { actor }) =>
  Effect.gen(function* () {
    const log = yield* EventLog
    const event = yield* log.event(actor.organizationId, input.eventId).pipe(Effect.orDie)
    if (event === undefined)
      return yield* new EventNotFound({
        eventId: input.eventId,
        detail: `No event ${input.eventId} in your organization`
      })
    const deliveries = yield* log.deliveries([event.position]).pipe(Effect.orDie)
    return { event, deliveries: deliveries.get(event.position) ?? [] }
  })
)

export const getFlow = implement(GetFlow, (input, { actor }) =>
  Effect.gen(function* () {
    const log = yield* EventLog
    const requests = yield* log.requests(actor.organizationId, input.correlationId).pipe(Effect.orDie)
    const events = yield* log
      .events({ organizationId: actor.organizationId, correlationId: input.correlationId, limit: 500 })
      .pipe(Effect.orDie)
    const deliveries = yield* log.deliveries(events.map((event) => event.position)).pipe(Effect.orDie)
    return {
      correlationId: input.correlationId,
      requests,
      events: events.map((event) => ({ event, deliveries: deliveries.get(event.position) ?? [] }))
    }
  })
)
