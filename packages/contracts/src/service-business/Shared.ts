/**
 * Value types every service-business contract shares: ids, money, dates, pagination, and the
 * rules money follows here.
 *
 * Money is integer minor units (cents for EUR) from the edge to the database and back: it never
 * passes through a float. An amount on the wire is a JSON integer no larger than
 * `Number.MAX_SAFE_INTEGER`; anything larger (or fractional) is refused with 400 before a handler
 * runs. Sums (a quote's or invoice's totals) are computed with `bigint` and refused with
 * 422 AMOUNT_TOO_LARGE when they would not fit that range, so every amount a contract answers is
 * exact. Tax is charged per line in basis points (1 bp = 0.01 %), rounded half up to the minor unit
 * (`apps/service-business/src/domain/Money.ts`).
 */
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"

/** Ids are opaque strings of 1 to 64 characters (generated ones look like `job_0194f3…`). */
const OpaqueId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64))

export const ClientId = OpaqueId.pipe(Schema.brand("ClientId"))
export type ClientId = typeof ClientId.Type
export const QuoteId = OpaqueId.pipe(Schema.brand("QuoteId"))
export type QuoteId = typeof QuoteId.Type
export const JobId = OpaqueId.pipe(Schema.brand("JobId"))
export type JobId = typeof JobId.Type
export const InvoiceId = OpaqueId.pipe(Schema.brand("InvoiceId"))
export type InvoiceId = typeof InvoiceId.Type
export const PaymentId = OpaqueId.pipe(Schema.brand("PaymentId"))
export type PaymentId = typeof PaymentId.Type
/** A user of the caller's organization (the `sub` of their token). */
export const UserId = OpaqueId.pipe(Schema.brand("ServiceUserId"))
export type UserId = typeof UserId.Type
/** An id of the CRM (a contact, a company or a deal): carried as given, never dereferenced here. */
export const CrmRef = OpaqueId

/** A non-empty name of at most 200 characters. */
export const Name = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))
/** Free text of at most 2000 characters. */
export const Note = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(2000))

/** ISO 4217 currency code. */
export const Currency = Schema.String.check(Schema.isPattern(/^[A-Z]{3}$/)).pipe(
  Schema.annotate({ description: "ISO 4217 currency code, e.g. EUR" })
)

/** An amount in integer minor units, 0 to `Number.MAX_SAFE_INTEGER`: never a float. */
export const AmountMinor = Schema.Int.check(
  Schema.isGreaterThanOrEqualTo(0),
  Schema.isLessThanOrEqualTo(Number.MAX_SAFE_INTEGER)
).pipe(Schema.annotate({ description: "Integer minor units (e.g. cents), 0 to 9007199254740991" }))

/** A positive amount in integer minor units. */
export const PositiveAmountMinor = Schema.Int.check(
  Schema.isGreaterThanOrEqualTo(1),
  Schema.isLessThanOrEqualTo(Number.MAX_SAFE_INTEGER)
).pipe(Schema.annotate({ description: "Integer minor units (e.g. cents), 1 to 9007199254740991" }))

/** A signed amount in integer minor units (a refund is negative). */
export const SignedAmountMinor = Schema.Int.check(
  Schema.isGreaterThanOrEqualTo(-Number.MAX_SAFE_INTEGER),
  Schema.isLessThanOrEqualTo(Number.MAX_SAFE_INTEGER)
).pipe(Schema.annotate({ description: "Signed integer minor units; refunds are negative" }))

/** A tax rate in basis points: 2000 is 20 %. */
export const TaxRateBps = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 10_000 })).pipe(
  Schema.annotate({ description: "Tax rate in basis points (2000 = 20 %), 0 to 10000" })
)

/** How many units a line bills: a positive integer. */
export const Quantity = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1_000_000 }))

/** An instant as an ISO 8601 UTC string, e.g. `2025-01-20T10:00:00Z` (milliseconds optional). */
export const Timestamp = Schema.String.check(
  Schema.isPattern(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?Z$/)
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

export const owners = ["@tessera.service-business"]

/** A billable line as a caller writes it. */
export const LineInput = Schema.Struct({
  description: Name,
  quantity: Quantity,
  /** Price of one unit, before tax. */
  unitPriceMinor: AmountMinor,
  taxRateBps: TaxRateBps
})
export type LineInput = typeof LineInput.Type

/** A billable line with its amounts: net = quantity × unit price; tax rounded half up per line. */
export const Line = Schema.Struct({
  description: Name,
  quantity: Quantity,
  unitPriceMinor: AmountMinor,
  taxRateBps: TaxRateBps,
  netMinor: AmountMinor,
  taxMinor: AmountMinor,
  totalMinor: AmountMinor
})
export type Line = typeof Line.Type

/** At least one line, at most 100. */
export const LineInputs = Schema.Array(LineInput).check(Schema.isMinLength(1), Schema.isMaxLength(100))

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

export class AmountTooLarge extends ContractError<AmountTooLarge>()(
  "AmountTooLarge",
  {
    code: "AMOUNT_TOO_LARGE",
    status: 422,
    title: "Amount too large",
    when: "A computed total would exceed 9007199254740991 minor units, the largest exact amount"
  },
  { field: Schema.String }
) {}

export class ClientNotFound extends ContractError<ClientNotFound>()(
  "ClientNotFound",
  {
    code: "CLIENT_NOT_FOUND",
    status: 404,
    title: "Client not found",
    when: "No client with this id in the caller's organization"
  },
  { clientId: Schema.String }
) {}

export class QuoteNotFound extends ContractError<QuoteNotFound>()(
  "QuoteNotFound",
  {
    code: "QUOTE_NOT_FOUND",
    status: 404,
    title: "Quote not found",
    when: "No quote with this id in the caller's organization"
  },
  { quoteId: Schema.String }
) {}

export class JobNotFound extends ContractError<JobNotFound>()(
  "JobNotFound",
  {
    code: "JOB_NOT_FOUND",
    status: 404,
    title: "Job not found",
    when: "No job with this id in the caller's organization"
  },
  { jobId: Schema.String }
) {}

export class InvoiceNotFound extends ContractError<InvoiceNotFound>()(
  "InvoiceNotFound",
  {
    code: "INVOICE_NOT_FOUND",
    status: 404,
    title: "Invoice not found",
    when: "No invoice with this id in the caller's organization"
  },
  { invoiceId: Schema.String }
) {}
