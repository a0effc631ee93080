/**
 * Value types every CRM contract shares: ids, money, timestamps, users, pagination.
 */
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"

/** Ids are opaque strings of 1 to 64 characters (generated ones look like `deal_0194f3…`). */
const OpaqueId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64))

export const PipelineId = OpaqueId.pipe(Schema.brand("PipelineId"))
export type PipelineId = typeof PipelineId.Type
export const StageId = OpaqueId.pipe(Schema.brand("StageId"))
export type StageId = typeof StageId.Type
export const DealId = OpaqueId.pipe(Schema.brand("DealId"))
export type DealId = typeof DealId.Type
export const ContactId = OpaqueId.pipe(Schema.brand("ContactId"))
export type ContactId = typeof ContactId.Type
export const CompanyId = OpaqueId.pipe(Schema.brand("CompanyId"))
export type CompanyId = typeof CompanyId.Type
export const TaskId = OpaqueId.pipe(Schema.brand("TaskId"))
export type TaskId = typeof TaskId.Type
/** A user of the caller's organization (the `sub` of their token). */
export const UserId = OpaqueId.pipe(Schema.brand("UserId"))
export type UserId = typeof UserId.Type

/** A non-empty, trimmed-length-bounded name. */
export const Name = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))

/** ISO 4217 currency code. */
export const Currency = Schema.String.check(Schema.isPattern(/^[A-Z]{3}$/)).pipe(
  Schema.annotate({ description: "ISO 4217 currency code, e.g. EUR" })
)

/**
 * An amount in integer minor units (cents for EUR): money never passes through a float. Bounded
 * by JavaScript's safe integers (90 trillion major units of a two-decimal currency).
 */
export const AmountMinor = Schema.Int.check(
  Schema.isGreaterThanOrEqualTo(0),
  Schema.isLessThanOrEqualTo(Number.MAX_SAFE_INTEGER)
).pipe(Schema.annotate({ description: "Integer minor units (e.g. cents)" }))

export const Money = Schema.Struct({ amountMinor: AmountMinor, currency: Currency })
export type Money = typeof Money.Type

/** An instant as an ISO 8601 UTC string, e.g. `2025-01-21T09:00:00.000Z`. */
export const Timestamp = Schema.String.check(
  Schema.isPattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/)
).pipe(Schema.annotate({ description: "ISO 8601 UTC timestamp" }))

/** A calendar date, `YYYY-MM-DD`. */
export const CalendarDate = Schema.String.check(Schema.isPattern(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/)).pipe(
  Schema.annotate({ description: "Calendar date, YYYY-MM-DD" })
)

/** Page size of list operations: 1 to 100, 50 when omitted. */
export const Limit = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100 }))
export const DEFAULT_LIMIT = 50

/** Opaque continuation token of a list operation. */
export const Cursor = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))

export const owners = ["@tessera.crm"]

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
