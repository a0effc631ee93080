/**
 * `Idempotency-Key` on commands: the first call with a key claims it (a row in
 * `contract_kit.idempotency_keys`, in the call's transaction) and stores its answer; a retry with
 * the same key and the same body (compared as canonical JSON, however it was spelled) gets the
 * stored status and body without running the handler; the same key with another body answers 422.
 * Keys are scoped by organization and operation, and purged after a retention period
 * (`IdempotencyRetention`). A claim whose call fails rolls back with it, so a failed call can be
 * retried with its key.
 */
import { createHash } from "node:crypto"
import { IdempotencyKeyReused } from "@tessera/contract-kit/ContractError"
import { Effect, Option, Schema } from "effect"
import { type SqlClient, SqlSchema } from "effect/sql"

/** Canonical JSON (sorted keys): the same input hashes the same however it was spelled. */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`
  }
  return JSON.stringify(value) ?? "null"
}

export const hashOf = (body: unknown): string => createHash("sha256").update(canonicalJson(body)).digest("hex")

export interface Claim {
  readonly organizationId: string
  readonly operation: string
  readonly key: string
  readonly requestHash: string
}

/** What a claim found: the call is the first with its key, or a retry with a stored answer. */
export type Claimed =
  | { readonly _tag: "First" }
  | { readonly _tag: "Replay"; readonly status: number; readonly body: unknown }

const StoredRecord = Schema.Struct({
  request_hash: Schema.String,
  status: Schema.NullOr(Schema.Number),
  body: Schema.Unknown
})

/** Claims `claim.key` in the current transaction; a retry waits here until the first call ends. */
export const claim = (sql: SqlClient.SqlClient, claim: Claim, now: Date) =>
  Effect.gen(function* () {
    const claimed = yield* sql`
      INSERT INTO contract_kit.idempotency_keys (organization_id, operation, key, request_hash, created_at)
      VALUES (${claim.organizationId}, ${claim.operation}, ${claim.key}, ${claim.requestHash}, ${now})
      ON CONFLICT DO NOTHING
      RETURNING key`
    if (claimed.length > 0) return { _tag: "First" } satisfies Claimed as Claimed
    const stored = yield* SqlSchema.findOneOption({
      Request: Schema.Struct({ organizationId: Schema.String, operation: Schema.String, key: Schema.String }),
      Result: StoredRecord,
      execute: ({ organizationId, operation, key }) => sql`
        SELECT request_hash, status, body FROM contract_kit.idempotency_keys
        WHERE organization_id = ${organizationId} AND operation = ${operation} AND key = ${key}`
    })(claim)
    if (Option.isNone(stored) || stored.value.request_hash !== claim.requestHash || stored.value.status === null) {
      return yield* new IdempotencyKeyReused({
        detail: `Idempotency-Key ${claim.key} was used for ${claim.operation} with a different body`
      })
    }
    return { _tag: "Replay", status: stored.value.status, body: stored.value.body } satisfies Claimed as Claimed
  })

/** Stores the answer of the call that claimed the key (in the same transaction). */
export const complete = (sql: SqlClient.SqlClient, claim: Claim, status: number, body: unknown) =>
  sql`
    UPDATE contract_kit.idempotency_keys SET status = ${status}, body = ${JSON.stringify(body)}
    WHERE organization_id = ${claim.organizationId} AND operation = ${claim.operation} AND key = ${claim.key}`.pipe(
    Effect.asVoid
  )
