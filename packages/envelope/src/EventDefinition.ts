/**
 * An event definition: what one version of one event type is. Definitions are values; a
 * contract's `emits` lists them and a consumer subscribes to them, so a payload is typed from its
 * definition everywhere it travels.
 */
import type { Schema } from "effect"

export type Stability = "experimental" | "beta" | "stable" | "deprecated"

/** The entity an event is about: the ordering key (events of one subject are delivered in order). */
export interface Subject {
  readonly type: string
  readonly id: string
}

/** Who caused an event. Opaque ids only. */
export interface Actor {
  readonly type: "user" | "service" | "system"
  readonly id: string
}

export interface EventDefinition<
  Type extends string = string,
  Version extends number = number,
  Producer extends string = string,
  Payload extends Schema.Top = Schema.Top
> {
  readonly _tag: "EventDefinition"
  /** Dotted event type, e.g. `deal.lost`. */
  readonly type: Type
  /** Integer schema version. A published version never changes; a change is a new version. */
  readonly version: Version
  /** The single domain allowed to emit it (`crm`, `learning`, …). */
  readonly producer: Producer
  /** The payload schema. Encoded to JSON in the envelope's `payload`. */
  readonly payload: Payload
  readonly description: string
  readonly stability: Stability
  /** Payload fields holding personal data (kept out of logs, candidates for erasure). */
  readonly pii: ReadonlyArray<string>
  /**
   * Derives the subject (ordering key) from a payload. Declared as a method so that every
   * concrete definition is assignable to `AnyEventDefinition` (method parameters are bivariant).
   */
  subject(payload: Payload["Type"]): Subject
}

export type AnyEventDefinition = EventDefinition<string, number, string, Schema.Top>

/** The decoded payload type of a definition. */
export type PayloadOf<D extends AnyEventDefinition> = D["payload"]["Type"]

/** `deal.lost@1`: the identity of one version of one event type. */
export const keyOf = (definition: Pick<AnyEventDefinition, "type" | "version">): string =>
  `${definition.type}@${definition.version}`

export const define = <
  const Type extends string,
  const Version extends number,
  const Producer extends string,
  Payload extends Schema.Top
>(options: {
  readonly type: Type
  readonly version: Version
  readonly producer: Producer
  readonly payload: Payload
  readonly description: string
  readonly stability?: Stability
  readonly pii?: ReadonlyArray<keyof Payload["Type"] & string>
  readonly subject: (payload: Payload["Type"]) => Subject
}): EventDefinition<Type, Version, Producer, Payload> => ({
  _tag: "EventDefinition",
  type: options.type,
  version: options.version,
  producer: options.producer,
  payload: options.payload,
  description: options.description,
  stability: options.stability ?? "stable",
  pii: options.pii ?? [],
  subject: options.subject
})
