/**
 * Value types every integration-hub contract shares: ids, timestamps, pagination, the owners.
 */
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"

/** Ids are opaque strings of 1 to 64 characters (generated ones look like `conn_0194f3…`). */
const OpaqueId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64))

export const ConnectionId = OpaqueId.pipe(Schema.brand("ConnectionId"))
export type ConnectionId = typeof ConnectionId.Type
export const SyncConfigId = OpaqueId.pipe(Schema.brand("SyncConfigId"))
export type SyncConfigId = typeof SyncConfigId.Type
export const FieldMappingId = OpaqueId.pipe(Schema.brand("FieldMappingId"))
export type FieldMappingId = typeof FieldMappingId.Type
export const SyncRunId = OpaqueId.pipe(Schema.brand("SyncRunId"))
export type SyncRunId = typeof SyncRunId.Type

/** A non-empty name of at most 200 characters. */
export const Name = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))

/** An instant as an ISO 8601 UTC string, e.g. `2025-01-21T09:00:00.000Z`. */
export const Timestamp = Schema.String.check(
  Schema.isPattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/)
).pipe(Schema.annotate({ description: "ISO 8601 UTC timestamp" }))

/** Page size of list operations: 1 to 100, 50 when omitted. */
export const Limit = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100 }))
export const DEFAULT_LIMIT = 50

/** Opaque continuation token of a list operation. */
export const Cursor = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))

/** A scalar a mapping may produce or hold (mapped records are objects of scalars). */
export const Scalar = Schema.Union([Schema.String, Schema.Number, Schema.Boolean, Schema.Null])
export type Scalar = typeof Scalar.Type

export const owners = ["@tessera.integration-hub"]

export class InvalidCursor extends ContractError<InvalidCursor>()(
  "InvalidCursor",
  {
    code: "INVALID_CURSOR",
    status: 400,
    title: "Invalid cursor",
    when: "The cursor was not returned by this list operation"
  },
  { cursor: Schema.String }
) {}
