/**
 * The registry's generated artifacts, committed and checked current in CI:
 *
 * - the JSON export (`toJson`): the registry in the format of the seed registry
 *   (`producer`, `consumers`, `owning_contract`, `schema_versions` with `status`,
 *   `registered_at`, `deprecated_at`, `cutover_at`, `active_from`, `notes`) with each version's
 *   payload JSON Schema inline, for tools and other languages;
 * - the schema snapshot (`snapshot`): `type@version` → payload JSON Schema. Published versions
 *   never change, so `updateSnapshot` adds new versions and refuses changed or removed ones.
 */
import { Result } from "effect"
import { keyOf } from "./EventDefinition.ts"
import * as Payload from "./Payload.ts"
import { cutoverDateOf, type Registry } from "./Registry.ts"

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/** Deep copy with object keys sorted, so the files are stable across runs and refactors. */
export const canonical = (value: unknown): Json => {
  if (value === null || typeof value === "boolean" || typeof value === "number" || typeof value === "string")
    return value
  if (Array.isArray(value)) return value.map(canonical)
  if (typeof value === "object") return sortedObject(value)
  return null
}

const sortedObject = (value: object): Record<string, Json> => {
  const out: Record<string, Json> = {}
  for (const key of Object.keys(value).sort()) {
    const field: unknown = Reflect.get(value, key)
    if (field !== undefined) out[key] = canonical(field)
  }
  return out
}

export const toJson = (registry: Registry): Json =>
  canonical(
    Object.fromEntries(
      Object.entries(registry.events).map(([type, entry]) => [
        type,
        {
          producer: entry.producer,
          consumers: entry.consumers,
          owning_contract: entry.owningContract,
          schema_versions: entry.versions.map((v) => ({
            version: v.definition.version,
            description: v.definition.description,
            stability: v.definition.stability,
            pii: v.definition.pii,
            payload_schema: Payload.jsonSchema(v.definition),
            status: v.status,
            registered_at: v.registeredAt,
            active_from: v.activeFrom,
            deprecated_at: v.deprecatedAt,
            cutover_at: cutoverDateOf(v),
            retired_at: v.retiredAt,
            upcast_from: v.upcastFrom === undefined ? undefined : v.upcastFrom.from.version,
            notes: v.notes
          }))
        }
      ])
    )
  )

export type Snapshot = Readonly<Record<string, Json>>

/** `type@version` → payload JSON Schema for every registered version. */
export const snapshot = (registry: Registry): Snapshot => {
  const out: Record<string, Json> = {}
  for (const entry of Object.values(registry.events)) {
    for (const v of entry.versions) out[keyOf(v.definition)] = canonical(Payload.jsonSchema(v.definition))
  }
  return sortedObject(out)
}

export interface SnapshotDiff {
  /** Published versions whose schema differs from the committed one: never allowed. */
  readonly changed: ReadonlyArray<string>
  /** Published versions no longer in the registry: never allowed (retire them instead). */
  readonly removed: ReadonlyArray<string>
  /** New versions not in the committed snapshot yet: regenerate the snapshot. */
  readonly added: ReadonlyArray<string>
}

export const diffSnapshot = (committed: Snapshot, current: Snapshot): SnapshotDiff => {
  const same = (a: Json | undefined, b: Json | undefined) => JSON.stringify(a) === JSON.stringify(b)
  return {
    changed: Object.keys(committed).filter((key) => key in current && !same(committed[key], current[key])),
    removed: Object.keys(committed).filter((key) => !(key in current)),
    added: Object.keys(current).filter((key) => !(key in committed))
  }
}

/** The committed snapshot plus new versions; fails listing changed or removed published versions. */
export const updateSnapshot = (committed: Snapshot, current: Snapshot): Result.Result<Snapshot, SnapshotDiff> => {
  const diff = diffSnapshot(committed, current)
  return diff.changed.length > 0 || diff.removed.length > 0
    ? Result.fail(diff)
    : Result.succeed(sortedObject({ ...committed, ...current }))
}

/** A JSON file's content as the generators write it. */
export const fileContent = (value: unknown): string => `${JSON.stringify(canonical(value), null, 2)}\n`
