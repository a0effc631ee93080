/**
 * The events the service business publishes. Other domains subscribe to these definitions (never
 * to strings). A published version never changes: a change is a new version with an upcaster,
 * registered in `../registry.ts`. Personal data is marked (`pii`) field by field; clients' names,
 * e-mail addresses and phone numbers never travel in events at all (ids only).
 */
import { define } from "@tessera/envelope/EventDefinition"
import { Schema } from "effect"
import {
  AmountMinor,
  CalendarDate,
  ClientId,
  Currency,
  InvoiceId,
  JobId,
  Name,
  PaymentId,
  QuoteId,
  Timestamp,
  UserId
} from "./Shared.ts"

export const JobType = Schema.Literals(["repair", "installation", "maintenance", "inspection", "consultation", "other"])
export type JobType = typeof JobType.Type

export const PaymentMethod = Schema.Literals(["card", "bank_transfer", "cash", "check"])
export type PaymentMethod = typeof PaymentMethod.Type

export const ClientCreated = define({
  type: "service.client.created",
  version: 1,
  producer: "service",
  description:
    "A user added a client (service.client.create). Ids only: names and contact details stay here. Clients made from a won CRM deal announce nothing: deal.won already did.",
  payload: Schema.Struct({ clientId: ClientId }),
  subject: (payload) => ({ type: "client", id: payload.clientId })
})

export const QuoteSent = define({
  type: "service.quote.sent",
  version: 1,
  producer: "service",
  description: "A draft quote was sent to its client.",
  payload: Schema.Struct({
    quoteId: QuoteId,
    clientId: ClientId,
    totalMinor: AmountMinor,
    currency: Currency,
    validUntil: CalendarDate,
    sentAt: Timestamp
  }),
  subject: (payload) => ({ type: "quote", id: payload.quoteId })
})

export const QuoteAccepted = define({
  type: "service.quote.accepted",
  version: 1,
  producer: "service",
  description: "A sent quote was accepted by the client, before it expired.",
  payload: Schema.Struct({
    quoteId: QuoteId,
    clientId: ClientId,
    totalMinor: AmountMinor,
    currency: Currency,
    /** The client's person who accepted: personal data. */
    acceptedBy: Name,
    acceptedAt: Timestamp
  }),
  pii: ["acceptedBy"],
  subject: (payload) => ({ type: "quote", id: payload.quoteId })
})

export const JobScheduled = define({
  type: "service.job.scheduled",
  version: 1,
  producer: "service",
  description: "A job was scheduled for a client (possibly in the past: work recorded after the fact).",
  payload: Schema.Struct({
    jobId: JobId,
    clientId: ClientId,
    quoteId: Schema.NullOr(QuoteId),
    type: JobType,
    scheduledAt: Timestamp,
    assigneeId: Schema.NullOr(UserId)
  }),
  subject: (payload) => ({ type: "job", id: payload.jobId })
})

export const JobCompleted = define({
  type: "service.job.completed",
  version: 1,
  producer: "service",
  description: "A job was completed. Its notes stay in the service business.",
  payload: Schema.Struct({
    jobId: JobId,
    clientId: ClientId,
    quoteId: Schema.NullOr(QuoteId),
    type: JobType,
    assigneeId: Schema.NullOr(UserId),
    completedAt: Timestamp
  }),
  subject: (payload) => ({ type: "job", id: payload.jobId })
})

export const InvoiceIssued = define({
  type: "service.invoice.issued",
  version: 1,
  producer: "service",
  description: "An invoice was issued for a completed job, with its gap-free number.",
  payload: Schema.Struct({
    invoiceId: InvoiceId,
    number: Schema.String,
    clientId: ClientId,
    jobId: JobId,
    totalMinor: AmountMinor,
    currency: Currency,
    dueDate: CalendarDate
  }),
  subject: (payload) => ({ type: "invoice", id: payload.invoiceId })
})

export const InvoicePaid = define({
  type: "service.invoice.paid",
  version: 1,
  producer: "service",
  description: "The payments recorded against an invoice now cover its total.",
  payload: Schema.Struct({
    invoiceId: InvoiceId,
    number: Schema.String,
    clientId: ClientId,
    jobId: JobId,
    totalMinor: AmountMinor,
    currency: Currency,
    paidAt: Timestamp
  }),
  subject: (payload) => ({ type: "invoice", id: payload.invoiceId })
})

export const PaymentReceived = define({
  type: "service.payment.received",
  version: 1,
  producer: "service",
  description: "A payment was recorded against an invoice.",
  payload: Schema.Struct({
    paymentId: PaymentId,
    invoiceId: InvoiceId,
    clientId: ClientId,
    amountMinor: AmountMinor,
    currency: Currency,
    method: PaymentMethod,
    /** The payer's reference (a check number, a transfer's remittance text): may identify a person. */
    reference: Schema.NullOr(Schema.String),
    receivedAt: Timestamp
  }),
  pii: ["reference"],
  subject: (payload) => ({ type: "invoice", id: payload.invoiceId })
})
