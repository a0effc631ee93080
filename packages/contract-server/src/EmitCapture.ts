/**
 * A call's emitted events: the handler's `emit` records them (refusing, as a defect, any event its
 * contract does not declare); after the handler succeeds they are published through the
 * `EventSink` (the dispatcher's outbox) in the call's transaction, so they commit with the state
 * change or not at all.
 */
import { type AnyContract, type AnyEvent, domainOf, isService, type Principal } from "@tessera/contract-kit/Contract"
import { EventSink, type OutgoingEvent } from "@tessera/envelope/EventSink"
import { Data, Effect } from "effect"
import type { EmitOptions } from "./Implementation.ts"

/** A handler emitted an event its contract does not declare: a bug, answered as a 500. */
export class UndeclaredEvent extends Data.TaggedError("UndeclaredEvent")<{
  readonly contract: string
  readonly event: string
}> {
  override get message(): string {
    return `${this.contract} emitted ${this.event}, which it does not declare`
  }
}

export interface PublishContext {
  readonly principal: Principal | undefined
  readonly correlationId: string
  readonly causationId: string | undefined
  readonly traceparent: string | undefined
}

/** The declared events of one contract, checked once. */
export const forContract = (contract: AnyContract) => {
  const declared = new Set(contract.emits.map(({ event }) => `${event.type}@${event.version}`))
  const producer = domainOf(contract)

  /** A fresh capture for one call. */
  const capture = () => {
    const emitted: Array<OutgoingEvent> = []
    const emit = (event: AnyEvent, payload: unknown, options?: EmitOptions) =>
      Effect.suspend(() => {
        const id = `${event.type}@${event.version}`
        if (!declared.has(id)) return Effect.die(new UndeclaredEvent({ contract: contract.key, event: id }))
        emitted.push({ definition: event, payload, subject: options?.subject, occurredAt: options?.occurredAt })
        return Effect.void
      })

    /** Publishes what was captured; the published event ids (for the audit row). */
    const publish = (context: PublishContext) =>
      Effect.gen(function* () {
        if (emitted.length === 0) return []
        const principal = context.principal
        if (principal === undefined) {
          return yield* Effect.die(new UndeclaredEvent({ contract: contract.key, event: "(anonymous call)" }))
        }
        const sink = yield* EventSink
        return yield* sink
          .publish(emitted, {
            producer,
            organizationId: principal.organizationId,
            actor: { type: isService(principal) ? "service" : "user", id: principal.userId },
            correlationId: context.correlationId,
            causationId: context.causationId,
            traceparent: context.traceparent
          })
          .pipe(Effect.orDie)
      })
    return { emit, publish }
  }
  return { capture }
}
