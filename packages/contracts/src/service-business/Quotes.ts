/**
 * Quotes: priced proposals for a client, with line items and exact integer totals. A quote is
 * drafted, sent, then accepted or rejected by the client. It expires after its `validUntil` day
 * (UTC): from then on it reads as `expired` and can no longer be sent or accepted (409 QUOTE_EXPIRED).
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"
import { QuoteAccepted, QuoteSent } from "./Events.ts"
import {
  AmountMinor,
  AmountTooLarge,
  CalendarDate,
  ClientId,
  ClientNotFound,
  CrmRef,
  Currency,
  Cursor,
  InvalidCursor,
  Limit,
  Line,
  LineInputs,
  Name,
  Note,
  owners,
  QuoteId,
  QuoteNotFound,
  Timestamp
} from "./Shared.ts"

/** `expired` is never stored: a draft or sent quote past its `validUntil` day reads as expired. */
export const QuoteStatus = Schema.Literals(["draft", "sent", "accepted", "rejected", "expired"])
export type QuoteStatus = typeof QuoteStatus.Type

export const Quote = Schema.Struct({
  id: QuoteId,
  clientId: ClientId,
  status: QuoteStatus,
  currency: Currency,
  lines: Schema.Array(Line),
  /** Sum of the lines' net amounts. */
  subtotalMinor: AmountMinor,
  /** Sum of the lines' taxes (each rounded half up). */
  taxMinor: AmountMinor,
  totalMinor: AmountMinor,
  /** The last day (UTC) the quote can be accepted. */
  validUntil: CalendarDate,
  notes: Schema.NullOr(Note),
  /** The CRM deal the quote was drafted from, when it was. */
  sourceDealId: Schema.NullOr(CrmRef),
  sentAt: Schema.NullOr(Timestamp),
  acceptedAt: Schema.NullOr(Timestamp),
  acceptedBy: Schema.NullOr(Name),
  rejectedAt: Schema.NullOr(Timestamp),
  rejectionReason: Schema.NullOr(Note),
  createdBy: Schema.String,
  createdAt: Timestamp,
  updatedAt: Timestamp
})
export type Quote = typeof Quote.Type

export class QuoteNotDraft extends ContractError<QuoteNotDraft>()(
  "QuoteNotDraft",
  { code: "QUOTE_NOT_DRAFT", status: 409, title: "Quote is not a draft", when: "Only a draft quote can be sent" },
  { quoteId: Schema.String, quoteStatus: QuoteStatus }
) {}

export class QuoteNotSent extends ContractError<QuoteNotSent>()(
  "QuoteNotSent",
  {
    code: "QUOTE_NOT_SENT",
    status: 409,
    title: "Quote is not awaiting an answer",
    when: "Only a sent quote can be accepted or rejected"
  },
  { quoteId: Schema.String, quoteStatus: QuoteStatus }
) {}

export class QuoteExpired extends ContractError<QuoteExpired>()(
  "QuoteExpired",
  {
    code: "QUOTE_EXPIRED",
    status: 409,
    title: "Quote has expired",
    when: "The quote's validUntil day has passed: it can no longer be sent or accepted"
  },
  { quoteId: Schema.String, validUntil: Schema.String }
) {}

const exampleLines = [
  {
    description: "Boiler service",
    quantity: 1,
    unitPriceMinor: 12_000,
    taxRateBps: 2000,
    netMinor: 12_000,
    taxMinor: 2400,
    totalMinor: 14_400
  },
  {
    description: "Replacement valve",
    quantity: 3,
    unitPriceMinor: 1999,
    taxRateBps: 550,
    netMinor: 5997,
    taxMinor: 330,
    totalMinor: 6327
  }
] as const

const exampleQuote = {
  id: "quote-42",
  clientId: "client-123",
  status: "draft",
  currency: "EUR",
  lines: exampleLines,
  subtotalMinor: 17_997,
  taxMinor: 2730,
  totalMinor: 20_727,
  validUntil: "2999-12-31",
  notes: null,
  sourceDealId: null,
  sentAt: null,
  acceptedAt: null,
  acceptedBy: null,
  rejectedAt: null,
  rejectionReason: null,
  createdBy: "user-1",
  createdAt: "2025-01-10T09:00:00.000Z",
  updatedAt: "2025-01-10T09:00:00.000Z"
} as const

const sentQuote = { ...exampleQuote, status: "sent", sentAt: "2025-01-11T09:00:00.000Z" } as const

export const CreateQuote = command({
  meta: {
    key: "service.quote.create",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "quote", "create"],
    description: "Draft a quote for a client from line items; totals are computed exactly.",
    goal: "Price the work before doing it.",
    context: "Quoting, by hand or from a won CRM deal."
  },
  input: Schema.Struct({
    clientId: ClientId,
    currency: Currency,
    lines: LineInputs,
    validUntil: CalendarDate,
    notes: Schema.optionalKey(Note)
  }),
  output: Quote,
  errors: [ClientNotFound, AmountTooLarge],
  policy: { auth: "user" },
  idempotent: true,
  acceptance: {
    scenarios: [
      {
        key: "create-quote-exact-totals",
        given: ["A client exists"],
        when: ["User drafts a quote with lines taxed at different rates"],
        then: [
          "Each line's tax is net × rate / 10000 rounded half up; totals are the sums, in integers",
          "The quote is a draft"
        ]
      },
      {
        key: "create-quote-total-too-large",
        given: ["A client exists"],
        when: ["User drafts a quote whose total would exceed 9007199254740991 minor units"],
        then: ["The call is refused with 422 AMOUNT_TOO_LARGE", "Nothing is written"]
      },
      {
        key: "create-quote-other-organization-client",
        given: ["A client belongs to another organization"],
        when: ["User drafts a quote for it"],
        then: ["The call is refused with 404 CLIENT_NOT_FOUND"]
      }
    ],
    examples: [
      {
        key: "quote-boiler-service",
        input: {
          clientId: "client-123",
          currency: "EUR",
          validUntil: "2999-12-31",
          lines: [
            { description: "Boiler service", quantity: 1, unitPriceMinor: 12_000, taxRateBps: 2000 },
            { description: "Replacement valve", quantity: 3, unitPriceMinor: 1999, taxRateBps: 550 }
          ]
        },
        output: exampleQuote
      }
    ]
  }
})

export const SendQuote = command({
  meta: {
    key: "service.quote.send",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "quote", "send"],
    description: "Send a draft quote to its client.",
    goal: "Ask the client to accept the price.",
    context: "Quoting."
  },
  input: Schema.Struct({ quoteId: QuoteId }),
  output: Quote,
  errors: [QuoteNotFound, QuoteNotDraft, QuoteExpired],
  policy: { auth: "user" },
  emits: [{ event: QuoteSent, when: "The draft is sent" }],
  acceptance: {
    scenarios: [
      {
        key: "send-quote-happy-path",
        given: ["A draft quote"],
        when: ["User sends it"],
        then: ["The quote is sent, with sentAt", "service.quote.sent is stored"]
      },
      {
        key: "send-quote-twice",
        given: ["A sent quote"],
        when: ["User sends it again"],
        then: ["The call is refused with 409 QUOTE_NOT_DRAFT"]
      }
    ],
    examples: [{ key: "send-boiler-quote", input: { quoteId: "quote-42" }, output: sentQuote }]
  }
})

export const AcceptQuote = command({
  meta: {
    key: "service.quote.accept",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "quote", "accept"],
    description: "Record that the client accepted a sent quote, and who accepted it.",
    goal: "Turn a price into agreed work.",
    context: "Quoting; the accepted quote can back a job."
  },
  input: Schema.Struct({
    quoteId: QuoteId,
    /** The client's person who accepted (personal data: kept out of the audit row). */
    acceptedBy: Name
  }),
  output: Quote,
  errors: [QuoteNotFound, QuoteNotSent, QuoteExpired],
  policy: { auth: "user" },
  emits: [{ event: QuoteAccepted, when: "The quote is accepted" }],
  audit: { input: false },
  acceptance: {
    scenarios: [
      {
        key: "accept-quote-happy-path",
        given: ["A sent quote, still valid"],
        when: ["User records the client's acceptance"],
        then: ["The quote is accepted, with who and when", "service.quote.accepted is stored"]
      },
      {
        key: "accept-expired-quote",
        given: ["A sent quote whose validUntil day has passed"],
        when: ["User records an acceptance"],
        then: ["The call is refused with 409 QUOTE_EXPIRED", "The quote reads as expired"]
      },
      {
        key: "accept-draft-quote",
        given: ["A draft quote"],
        when: ["User records an acceptance"],
        then: ["The call is refused with 409 QUOTE_NOT_SENT"]
      }
    ],
    examples: [
      {
        key: "accept-boiler-quote",
        input: { quoteId: "quote-42", acceptedBy: "Ada Lovelace" },
        output: {
          ...sentQuote,
          status: "accepted",
          acceptedBy: "Ada Lovelace",
          acceptedAt: "2025-01-12T09:00:00.000Z",
          updatedAt: "2025-01-12T09:00:00.000Z"
        }
      }
    ]
  }
})

export const RejectQuote = command({
  meta: {
    key: "service.quote.reject",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "quote", "reject"],
    description: "Record that the client rejected a sent quote.",
    goal: "Close a quote that will not go ahead.",
    context: "Quoting."
  },
  input: Schema.Struct({ quoteId: QuoteId, reason: Schema.optionalKey(Note) }),
  output: Quote,
  errors: [QuoteNotFound, QuoteNotSent],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "reject-quote-happy-path",
        given: ["A sent quote"],
        when: ["User records the client's rejection with a reason"],
        then: ["The quote is rejected, with the reason"]
      },
      {
        key: "reject-accepted-quote",
        given: ["An accepted quote"],
        when: ["User records a rejection"],
        then: ["The call is refused with 409 QUOTE_NOT_SENT"]
      }
    ],
    examples: [
      {
        key: "reject-boiler-quote",
        input: { quoteId: "quote-42", reason: "Too expensive" },
        output: {
          ...sentQuote,
          status: "rejected",
          rejectedAt: "2025-01-12T09:00:00.000Z",
          rejectionReason: "Too expensive",
          updatedAt: "2025-01-12T09:00:00.000Z"
        }
      }
    ]
  }
})

export const GetQuote = query({
  meta: {
    key: "service.quote.get",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "quote", "get"],
    description: "Get one quote, with its lines and totals.",
    goal: "Show a quote.",
    context: "Quote page."
  },
  input: Schema.Struct({ quoteId: QuoteId }),
  output: Quote,
  errors: [QuoteNotFound],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "get-quote-other-organization",
        given: ["A quote belongs to another organization"],
        when: ["User gets it by id"],
        then: ["The answer is 404 QUOTE_NOT_FOUND"]
      }
    ],
    examples: [{ key: "get-boiler-quote", input: { quoteId: "quote-42" }, output: exampleQuote }]
  }
})

export const ListQuotes = query({
  meta: {
    key: "service.quote.list",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "quote", "list"],
    description: "List quotes, newest first, optionally of one client or in one status.",
    goal: "Follow up on quotes.",
    context: "Quote lists."
  },
  input: Schema.Struct({
    clientId: Schema.optionalKey(ClientId),
    status: Schema.optionalKey(QuoteStatus),
    limit: Schema.optionalKey(Limit),
    cursor: Schema.optionalKey(Cursor)
  }),
  output: Schema.Struct({ items: Schema.Array(Quote), nextCursor: Schema.NullOr(Cursor) }),
  errors: [InvalidCursor],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "list-quotes-by-status",
        given: ["Draft, sent and expired quotes"],
        when: ["User lists expired quotes"],
        then: ["Only quotes past their validUntil day that were never answered are returned, as expired"]
      }
    ],
    examples: [
      {
        key: "list-drafts-of-client",
        input: { clientId: "client-123", status: "draft" },
        output: { items: [exampleQuote], nextCursor: null }
      }
    ]
  }
})
