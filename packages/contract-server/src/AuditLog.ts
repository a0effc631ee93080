/**
 * The audit row of a call (`contract_kit.audit_log`): who (user, service or anonymous) called which
 * contract at which version, with the request and correlation ids, the (encoded) input unless the
 * contract turns it off, and the ids of the events the call published. Written in the call's
 * transaction, so it exists exactly when the call's effects do.
 */
import { type AnyContract, isService, type Principal } from "@tessera/contract-kit/Contract"
import { Effect } from "effect"
import type { SqlClient } from "effect/sql"

export interface AuditEntry {
  readonly principal: Principal | undefined
  readonly requestId: string
  readonly correlationId: string
  /** The input as received (already edge-checked: storable as `jsonb`). */
  readonly input: unknown
  readonly eventIds: ReadonlyArray<string>
  readonly occurredAt: Date
}

const actorType = (principal: Principal | undefined) =>
  principal === undefined ? "anonymous" : isService(principal) ? "service" : "user"

/** Writes the audit row of one call of `contract`; nothing when the contract is not audited. */
export const write = (sql: SqlClient.SqlClient, contract: AnyContract, entry: AuditEntry) =>
  contract.audit === false
    ? Effect.void
    : sql`
        INSERT INTO contract_kit.audit_log ${sql.insert({
          occurred_at: entry.occurredAt,
          organization_id: entry.principal?.organizationId ?? null,
          actor_type: actorType(entry.principal),
          actor_id: entry.principal?.userId ?? null,
          contract_key: contract.key,
          contract_version: contract.version,
          action: contract.audit.action,
          request_id: entry.requestId,
          correlation_id: entry.correlationId,
          input: contract.audit.input ? JSON.stringify(entry.input) : null,
          event_ids: [...entry.eventIds]
        })}`.pipe(Effect.asVoid)
