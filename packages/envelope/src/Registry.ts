/**
 * The event registry: for each event type its single producer, its consumers, its owning
 * contract, and its schema versions with their lifecycle. It is typed code (Tessera's own lives in
 * `@tessera/contracts`); its JSON export (`toJson`) is generated and checked current in CI.
 *
 * Lifecycle of a version: `active`; `deprecated` on `deprecatedAt`, after which producers keep
 * emitting it until the cutover (`deprecatedAt` + 14 days) and not after; `retired` (never
 * emitted again; stored events still reach consumers through upcasters). A published version's
 * schema never changes: a change is a new version whose entry carries an upcaster from the
 * previous one, so consumers written for the new version also receive events stored as the old.
 */
import { Effect, Option, Result } from "effect"
import type { AnyEventDefinition, PayloadOf } from "./EventDefinition.ts"
import { keyOf } from "./EventDefinition.ts"
import { EventPublishError } from "./EventSink.ts"
import * as Payload from "./Payload.ts"

export type Lifecycle = "active" | "deprecated" | "retired"

/** Days between a version's deprecation and the date its producer must stop emitting it. */
export const CUTOVER_DAYS = 14

/** Turns a payload of one version into a payload of the next. */
export interface Upcaster<From extends AnyEventDefinition, To extends AnyEventDefinition> {
  readonly from: From
  readonly to: To
  upcast(payload: PayloadOf<From>): PayloadOf<To>
}

export type AnyUpcaster = Upcaster<AnyEventDefinition, AnyEventDefinition>

export const upcaster = <From extends AnyEventDefinition, To extends AnyEventDefinition>(
  from: From,
  to: To,
  upcast: (payload: PayloadOf<From>) => PayloadOf<To>
): Upcaster<From, To> => ({ from, to, upcast })

/** One schema version of an event type. Dates are `YYYY-MM-DD` (UTC). */
export interface VersionEntry<D extends AnyEventDefinition = AnyEventDefinition> {
  readonly definition: D
  readonly status: Lifecycle
  readonly registeredAt: string
  /** When producers start emitting it (informational: consumers must be ready by then). */
  readonly activeFrom?: string | undefined
  /** Required when `deprecated`; the cutover is 14 days later. */
  readonly deprecatedAt?: string | undefined
  readonly retiredAt?: string | undefined
  readonly notes: string
  /** Required from version 2 on: how the previous version's payloads become this version's. */
  readonly upcastFrom?: Upcaster<AnyEventDefinition, D> | undefined
}

export interface EventEntry {
  /** The one domain allowed to emit it. */
  readonly producer: string
  /** The domains that consume it. */
  readonly consumers: ReadonlyArray<string>
  /** The contract (key or document) that owns the event's meaning. */
  readonly owningContract: string
  readonly versions: ReadonlyArray<VersionEntry>
}

export interface Registry {
  readonly events: Readonly<Record<string, EventEntry>>
}

/** A registry from its entries, keyed by event type. Check it with `check` (in a test and at boot). */
export const make = (events: Record<string, EventEntry>): Registry => ({ events })

/** A typed version entry: `upcastFrom` must produce this definition's payload. */
export const version = <D extends AnyEventDefinition>(
  definition: D,
  options: Omit<VersionEntry<D>, "definition">
): VersionEntry => ({ definition, ...options })

const DATE = /^\d{4}-\d{2}-\d{2}$/

const parseDate = (date: string): number | undefined => {
  if (!DATE.test(date)) return undefined
  const millis = Date.parse(`${date}T00:00:00.000Z`)
  return Number.isNaN(millis) ? undefined : millis
}

const DAY = 24 * 60 * 60 * 1000

/** The first instant a deprecated version may no longer be emitted, or undefined if not deprecated. */
export const cutoverOf = (entry: VersionEntry): Date | undefined => {
  if (entry.status !== "deprecated" || entry.deprecatedAt === undefined) return undefined
  const start = parseDate(entry.deprecatedAt)
  return start === undefined ? undefined : new Date(start + CUTOVER_DAYS * DAY)
}

/** `YYYY-MM-DD` of the cutover, for the export. */
export const cutoverDateOf = (entry: VersionEntry): string | undefined => cutoverOf(entry)?.toISOString().slice(0, 10)

export const findEntry = (registry: Registry, type: string): Option.Option<EventEntry> =>
  Option.fromUndefinedOr(Object.hasOwn(registry.events, type) ? registry.events[type] : undefined)

export const findVersion = (registry: Registry, type: string, version: number): Option.Option<VersionEntry> =>
  Option.flatMap(findEntry(registry, type), (entry) =>
    Option.fromUndefinedOr(entry.versions.find((v) => v.definition.version === version))
  )

/** Every problem with the registry as a whole; empty when it is consistent. */
export const check = (registry: Registry): ReadonlyArray<string> => {
  const problems: Array<string> = []
  for (const [type, entry] of Object.entries(registry.events)) {
    if (entry.producer.trim() === "") problems.push(`${type}: no producer`)
    if (entry.owningContract.trim() === "") problems.push(`${type}: no owning contract`)
    if (new Set(entry.consumers).size !== entry.consumers.length) problems.push(`${type}: duplicate consumers`)
    if (entry.versions.length === 0) problems.push(`${type}: no versions`)
    entry.versions.forEach((v, index) => {
      const at = `${type}@${v.definition.version}`
      if (v.definition.type !== type) problems.push(`${at}: definition has type ${v.definition.type}`)
      if (v.definition.version !== index + 1)
        problems.push(
          `${at}: versions must be numbered 1, 2, … in order (found ${v.definition.version} at #${index + 1})`
        )
      if (v.definition.producer !== entry.producer)
        problems.push(`${at}: definition's producer ${v.definition.producer} is not the registered ${entry.producer}`)
      const registered = parseDate(v.registeredAt)
      if (registered === undefined) problems.push(`${at}: registeredAt ${v.registeredAt} is not YYYY-MM-DD`)
      for (const [name, value] of [
        ["activeFrom", v.activeFrom],
        ["deprecatedAt", v.deprecatedAt],
        ["retiredAt", v.retiredAt]
      ] as const) {
        if (value === undefined) continue
        const date = parseDate(value)
        if (date === undefined) problems.push(`${at}: ${name} ${value} is not YYYY-MM-DD`)
        else if (registered !== undefined && date < registered) problems.push(`${at}: ${name} is before registeredAt`)
      }
      if (v.status === "deprecated" && v.deprecatedAt === undefined)
        problems.push(`${at}: deprecated without deprecatedAt`)
      if (v.status === "active" && (v.deprecatedAt !== undefined || v.retiredAt !== undefined))
        problems.push(`${at}: active but has deprecatedAt/retiredAt`)
      if (index > 0) {
        const previous = entry.versions[index - 1]
        if (v.upcastFrom === undefined) problems.push(`${at}: a new version needs an upcaster from the previous one`)
        else if (previous !== undefined) {
          if (v.upcastFrom.from !== previous.definition)
            problems.push(`${at}: upcaster starts from ${keyOf(v.upcastFrom.from)}, not ${keyOf(previous.definition)}`)
          if (v.upcastFrom.to !== v.definition) problems.push(`${at}: upcaster does not produce this version`)
        }
      } else if (v.upcastFrom !== undefined) problems.push(`${at}: version 1 has nothing to upcast from`)
    })
  }
  return problems
}

const publishError = (
  definition: AnyEventDefinition,
  reason: EventPublishError["reason"],
  message: string,
  cause?: unknown
) =>
  new EventPublishError({
    reason,
    eventType: definition.type,
    eventVersion: definition.version,
    message,
    ...(cause === undefined ? {} : { cause })
  })

/**
 * May `producer` emit this version at `now`? The registered version entry when yes; otherwise
 * why not: unregistered, another domain's event, retired, or deprecated past its cutover.
 */
export const checkPublish = (
  registry: Registry,
  definition: AnyEventDefinition,
  producer: string,
  now: Date
): Result.Result<VersionEntry, EventPublishError> => {
  const entry = findEntry(registry, definition.type)
  if (Option.isNone(entry)) {
    return Result.fail(publishError(definition, "Unregistered", `${definition.type} is not in the event registry`))
  }
  const registered = entry.value.versions.find((v) => v.definition.version === definition.version)
  if (registered === undefined) {
    return Result.fail(publishError(definition, "Unregistered", `${keyOf(definition)} is not a registered version`))
  }
  if (entry.value.producer !== producer || definition.producer !== producer) {
    return Result.fail(
      publishError(
        definition,
        "NotProducer",
        `${keyOf(definition)} is produced by ${entry.value.producer}; ${producer} may not emit it`
      )
    )
  }
  if (registered.status === "retired") {
    return Result.fail(publishError(definition, "Retired", `${keyOf(definition)} is retired`))
  }
  const cutover = cutoverOf(registered)
  if (cutover !== undefined && now.getTime() >= cutover.getTime()) {
    return Result.fail(
      publishError(
        definition,
        "PastCutover",
        `${keyOf(definition)} was deprecated on ${registered.deprecatedAt}; producers cut over on ${cutover.toISOString().slice(0, 10)}`
      )
    )
  }
  return Result.succeed(registered)
}

/** Why a stored event cannot be given to a consumer: both go to dead letters at once. */
export type DecodeFailureReason = "UnknownVersion" | "InvalidPayload"

export interface DecodeFailure {
  readonly reason: DecodeFailureReason
  readonly message: string
}

/**
 * Decodes a stored payload of `type@storedVersion` into `target`'s payload: with the stored
 * version's schema, then through the upcasters up to the target version. An unregistered stored
 * version, or one newer than the target, is an unknown version.
 */
export const decodeAs = <D extends AnyEventDefinition>(
  registry: Registry,
  target: D,
  storedVersion: number,
  json: unknown
): Effect.Effect<PayloadOf<D>, DecodeFailure> => {
  if (storedVersion === target.version) {
    return Payload.decode(target, json).pipe(
      Effect.mapError((error) => ({ reason: "InvalidPayload" as const, message: error.message }))
    )
  }
  const entry = findEntry(registry, target.type)
  const unknownVersion = (message: string) =>
    Effect.fail<DecodeFailure>({ reason: "UnknownVersion", message: `${target.type}@${storedVersion}: ${message}` })
  if (Option.isNone(entry)) return unknownVersion("the event type is not registered")
  if (storedVersion > target.version) return unknownVersion(`newer than the consumer's version ${target.version}`)
  const stored = entry.value.versions.find((v) => v.definition.version === storedVersion)
  if (stored === undefined) return unknownVersion("not a registered version")
  const chain: Array<AnyUpcaster> = []
  for (let v = storedVersion + 1; v <= target.version; v++) {
    const step = entry.value.versions.find((candidate) => candidate.definition.version === v)?.upcastFrom
    if (step === undefined) return unknownVersion(`no upcaster to version ${v}`)
    chain.push(step)
  }
  const last = chain[chain.length - 1]
  if (last === undefined || last.to !== target) {
    return unknownVersion(`the registry's version ${target.version} is not the consumer's definition`)
  }
  return Payload.decode(stored.definition, json).pipe(
    Effect.mapError((error): DecodeFailure => ({ reason: "InvalidPayload", message: error.message })),
    Effect.flatMap((decoded) =>
      Effect.try({
        try: () => {
          let value: unknown = decoded
          for (const step of chain) value = step.upcast(value)
          return value
        },
        catch: (cause): DecodeFailure => ({
          reason: "InvalidPayload",
          message: `upcasting ${target.type}@${storedVersion} to ${target.version} failed: ${String(cause)}`
        })
      })
    ),
    // Re-validate what the upcasters produced against the target schema (a buggy upcaster is an
    // invalid payload, not a handler crash) and get it typed as the target's payload.
    Effect.flatMap((value) =>
      Payload.encode(target, value).pipe(
        Effect.flatMap((encoded) => Payload.decode(target, encoded)),
        Effect.mapError(
          (error): DecodeFailure => ({
            reason: "InvalidPayload",
            message: `upcast ${target.type}@${storedVersion} → ${target.version} is not valid: ${error.message}`
          })
        )
      )
    )
  )
}
