/**
 * Step completion conditions. Two forms of one thing:
 *
 * - the serialisable form (the `Condition` schema): what `learning.track.create` accepts as JSON
 *   and what the database stores — an event type and version, an optional filter on payload
 *   fields, and a count or a window;
 * - the typed builder (`Conditions.event`, `.count`, `.window`): what code writes. It takes event
 *   *definitions* (never type strings) and types the filter against the definition's payload, so
 *   `Conditions.event(TaskCompleted, { where: { type: "follow_up" } })` compiles and a misspelt
 *   field or an impossible value does not. It produces the serialisable form.
 *
 * Filters compare top-level payload fields, in their JSON (encoded) form, for equality with a
 * JSON primitive.
 */
import { Schema } from "effect"

/** A dotted event type, as in the envelope: `deal.moved`. */
export const EventType = Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/)).pipe(
  Schema.annotate({ description: "Dotted event type, e.g. deal.moved" })
)

export const EventVersion = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

/** A value a payload field is compared with. */
export const FilterValue = Schema.Union([Schema.String, Schema.Finite, Schema.Boolean, Schema.Null])
export type FilterValue = typeof FilterValue.Type

/** Which events count: one type at one version, optionally only those whose payload fields equal `where`. */
export const EventMatcher = Schema.Struct({
  eventType: EventType,
  eventVersion: EventVersion,
  where: Schema.optionalKey(Schema.Record(Schema.String, FilterValue))
})
export type EventMatcher = typeof EventMatcher.Type

const Hours = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 24 * 366 }))

/** One matching event completes the step. */
export const EventCondition = Schema.Struct({
  kind: Schema.Literal("event"),
  event: EventMatcher
})

/** At least `atLeast` matching events; with `withinHours`, all inside one span of that many hours. */
export const CountCondition = Schema.Struct({
  kind: Schema.Literal("count"),
  event: EventMatcher,
  atLeast: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 })),
  withinHours: Schema.optionalKey(Hours)
})

/**
 * A matching event that occurred between `fromHours` (default 0) and `toHours` after the learner
 * started the track.
 */
export const WindowCondition = Schema.Struct({
  kind: Schema.Literal("window"),
  event: EventMatcher,
  fromHours: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 24 * 366 }))),
  toHours: Hours
}).check(
  Schema.makeFilter((condition) =>
    (condition.fromHours ?? 0) < condition.toHours ? undefined : "fromHours must be less than toHours"
  )
)

export const Condition = Schema.Union([EventCondition, CountCondition, WindowCondition])
export type Condition = typeof Condition.Type

// ---------------------------------------------------------------------------------------------
// The typed builder

/** What the builder needs of an event definition (`@tessera/envelope`'s `define(...)` values). */
export interface EventDefinitionLike {
  readonly type: string
  readonly version: number
  readonly payload: Schema.Top
}

type Primitive = string | number | boolean | null

/** The payload fields a filter may name (those holding a primitive), typed as in the payload. */
export type FilterOf<D extends EventDefinitionLike> = {
  readonly [K in keyof D["payload"]["Type"] as D["payload"]["Type"][K] extends Primitive
    ? K
    : never]?: D["payload"]["Type"][K]
}

const isFilterValue = (value: unknown): value is FilterValue =>
  value === null || typeof value === "string" || typeof value === "boolean" || typeof value === "number"

/** The matcher for a definition, with an optional typed filter. */
export const matcher = <D extends EventDefinitionLike>(definition: D, where?: FilterOf<D>): EventMatcher => {
  const entries = Object.entries(where ?? {}).flatMap(
    ([key, value]): Array<[string, FilterValue]> => (isFilterValue(value) ? [[key, value]] : [])
  )
  return entries.length === 0
    ? { eventType: definition.type, eventVersion: definition.version }
    : { eventType: definition.type, eventVersion: definition.version, where: Object.fromEntries(entries) }
}

/** Completed by one event of `definition` (matching `where`). */
export const event = <D extends EventDefinitionLike>(
  definition: D,
  options: { readonly where?: FilterOf<D> } = {}
): Condition => ({ kind: "event", event: matcher(definition, options.where) })

/** Completed by `atLeast` events of `definition` (within `withinHours` of each other, when given). */
export const count = <D extends EventDefinitionLike>(
  definition: D,
  options: { readonly atLeast: number; readonly withinHours?: number; readonly where?: FilterOf<D> }
): Condition => ({
  kind: "count",
  event: matcher(definition, options.where),
  atLeast: options.atLeast,
  ...(options.withinHours === undefined ? {} : { withinHours: options.withinHours })
})

/** Completed by an event of `definition` between `fromHours` (default 0) and `toHours` after the track's start. */
export const window = <D extends EventDefinitionLike>(
  definition: D,
  options: { readonly toHours: number; readonly fromHours?: number; readonly where?: FilterOf<D> }
): Condition => ({
  kind: "window",
  event: matcher(definition, options.where),
  toHours: options.toHours,
  ...(options.fromHours === undefined ? {} : { fromHours: options.fromHours })
})
