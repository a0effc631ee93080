/**
 * Invoices: issued for a completed job, numbered per organization and year without gaps
 * (`INV-2026-0001`, `INV-2026-0002`, …: concurrent issues never share or skip a number), sent,
 * paid by payments (see `Payments.ts`) or voided.
 *
 * Status on read: `issued` → `sent` → `paid`, or `void`. An issued or sent invoice past its due
 * date (UTC) reads as `overdue` — derived when read, never stored — and `service.invoice.list`
 * filters on it. Its `paidMinor` is the sum of its payments net of refunds; `balanceMinor` what is
 * left to pay.
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"
import { InvoiceIssued } from "./Events.ts"
import { JobStatus } from "./Jobs.ts"
import {
  AmountMinor,
  AmountTooLarge,
  CalendarDate,
  ClientId,
  Currency,
  Cursor,
  InvalidCursor,
  InvoiceId,
  InvoiceNotFound,
  JobId,
  JobNotFound,
  Limit,
  Line,
  LineInputs,
  Note,
  owners,
  Timestamp
} from "./Shared.ts"

export const InvoiceStatus = Schema.Literals(["issued", "sent", "overdue", "paid", "void"])
export type InvoiceStatus = typeof InvoiceStatus.Type

export const InvoiceAction = Schema.Literals(["send", "void", "pay"])
export type InvoiceAction = typeof InvoiceAction.Type

/** `INV-<year>-<sequence>`, the sequence at least four digits. */
export const InvoiceNumber = Schema.String.check(Schema.isPattern(/^INV-\d{4}-\d{4,}$/)).pipe(
  Schema.annotate({ description: "Per-organization, gap-free within a year: INV-2026-0001" })
)

export const Invoice = Schema.Struct({
  id: InvoiceId,
  number: InvoiceNumber,
  clientId: ClientId,
  jobId: JobId,
  status: InvoiceStatus,
  currency: Currency,
  lines: Schema.Array(Line),
  subtotalMinor: AmountMinor,
  taxMinor: AmountMinor,
  totalMinor: AmountMinor,
  /** Payments net of refunds. */
  paidMinor: AmountMinor,
  balanceMinor: AmountMinor,
  issuedAt: Timestamp,
  dueDate: CalendarDate,
  sentAt: Schema.NullOr(Timestamp),
  paidAt: Schema.NullOr(Timestamp),
  voidedAt: Schema.NullOr(Timestamp),
  voidReason: Schema.NullOr(Note),
  createdBy: Schema.String,
  updatedAt: Timestamp
})
export type Invoice = typeof Invoice.Type

export class JobNotCompleted extends ContractError<JobNotCompleted>()(
  "JobNotCompleted",
  {
    code: "JOB_NOT_COMPLETED",
    status: 409,
    title: "Job is not completed",
    when: "Only a completed job can be invoiced"
  },
  { jobId: Schema.String, jobStatus: JobStatus }
) {}

export class JobAlreadyInvoiced extends ContractError<JobAlreadyInvoiced>()(
  "JobAlreadyInvoiced",
  {
    code: "JOB_ALREADY_INVOICED",
    status: 409,
    title: "Job already invoiced",
    when: "The job has an invoice that is not void"
  },
  { jobId: Schema.String, invoiceId: Schema.String }
) {}

export class InvoiceTermsMissing extends ContractError<InvoiceTermsMissing>()(
  "InvoiceTermsMissing",
  {
    code: "INVOICE_TERMS_MISSING",
    status: 422,
    title: "Nothing to invoice from",
    when: "The job has no accepted quote and the call gives no lines (and currency)"
  },
  { jobId: Schema.String }
) {}

export class InvoiceTransitionNotAllowed extends ContractError<InvoiceTransitionNotAllowed>()(
  "InvoiceTransitionNotAllowed",
  {
    code: "INVOICE_TRANSITION_NOT_ALLOWED",
    status: 409,
    title: "Not allowed in the invoice's status",
    when: "Sending a void or paid invoice, voiding a paid one, paying a void or paid one"
  },
  { invoiceId: Schema.String, invoiceStatus: InvoiceStatus, action: InvoiceAction }
) {}

export class InvoiceHasPayments extends ContractError<InvoiceHasPayments>()(
  "InvoiceHasPayments",
  {
    code: "INVOICE_HAS_PAYMENTS",
    status: 409,
    title: "Invoice has payments",
    when: "An invoice with payments (net of refunds) cannot be voided: refund them first"
  },
  { invoiceId: Schema.String, paidMinor: AmountMinor }
) {}

const exampleInvoice = {
  id: "invoice-9",
  number: "INV-2025-0001",
  clientId: "client-123",
  jobId: "job-456",
  status: "issued",
  currency: "EUR",
  lines: [
    {
      description: "Repair, labour",
      quantity: 2,
      unitPriceMinor: 4500,
      taxRateBps: 2000,
      netMinor: 9000,
      taxMinor: 1800,
      totalMinor: 10_800
    }
  ],
  subtotalMinor: 9000,
  taxMinor: 1800,
  totalMinor: 10_800,
  paidMinor: 0,
  balanceMinor: 10_800,
  issuedAt: "2025-01-21T09:00:00.000Z",
  dueDate: "2999-12-31",
  sentAt: null,
  paidAt: null,
  voidedAt: null,
  voidReason: null,
  createdBy: "user-1",
  updatedAt: "2025-01-21T09:00:00.000Z"
} as const

const AT = "2025-01-22T09:00:00.000Z"

export const IssueInvoice = command({
  meta: {
    key: "service.invoice.issue",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "invoice", "issue"],
    description:
      "Issue an invoice for a completed job, from the lines given or else its quote's, with the organization's next number.",
    goal: "Bill the work done.",
    context: "Invoicing after a job."
  },
  input: Schema.Struct({
    jobId: JobId,
    /** The lines to bill; the job's accepted quote's lines when omitted. */
    lines: Schema.optionalKey(LineInputs),
    /** Required with `lines` when the job has no quote; else the quote's currency. */
    currency: Schema.optionalKey(Currency),
    /** 30 days after the issue date (UTC) when omitted. */
    dueDate: Schema.optionalKey(CalendarDate)
  }),
  output: Invoice,
  errors: [JobNotFound, JobNotCompleted, JobAlreadyInvoiced, InvoiceTermsMissing, AmountTooLarge],
  policy: { auth: "user" },
  emits: [{ event: InvoiceIssued, when: "The invoice is issued" }],
  idempotent: true,
  acceptance: {
    scenarios: [
      {
        key: "issue-invoice-from-quote",
        given: ["A completed job carrying an accepted quote"],
        when: ["User issues an invoice without lines"],
        then: ["The invoice bills the quote's lines and totals", "service.invoice.issued is stored"]
      },
      {
        key: "issue-invoice-gap-free-numbers",
        given: ["Many completed jobs of one organization, and another organization"],
        when: ["Users issue invoices for all of them concurrently"],
        then: [
          "The organization's numbers are INV-<year>-0001 up to the count, each exactly once",
          "The other organization's numbering starts at 0001 on its own"
        ]
      },
      {
        key: "issue-invoice-job-not-completed",
        given: ["A scheduled job"],
        when: ["User issues an invoice for it"],
        then: ["The call is refused with 409 JOB_NOT_COMPLETED", "No number is used up"]
      },
      {
        key: "issue-invoice-twice",
        given: ["A completed job with an invoice"],
        when: ["User issues another invoice for it"],
        then: ["The call is refused with 409 JOB_ALREADY_INVOICED"]
      }
    ],
    examples: [
      {
        key: "invoice-repair",
        input: {
          jobId: "job-456",
          currency: "EUR",
          dueDate: "2999-12-31",
          lines: [{ description: "Repair, labour", quantity: 2, unitPriceMinor: 4500, taxRateBps: 2000 }]
        },
        output: exampleInvoice
      }
    ]
  }
})

export const SendInvoice = command({
  meta: {
    key: "service.invoice.send",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "invoice", "send"],
    description: "Mark an issued invoice as sent to its client.",
    goal: "Ask to be paid.",
    context: "Invoicing."
  },
  input: Schema.Struct({ invoiceId: InvoiceId }),
  output: Invoice,
  errors: [InvoiceNotFound, InvoiceTransitionNotAllowed],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "send-invoice-happy-path",
        given: ["An issued invoice"],
        when: ["User sends it"],
        then: ["The invoice is sent, with sentAt"]
      },
      {
        key: "send-void-invoice",
        given: ["A void invoice"],
        when: ["User sends it"],
        then: ["The call is refused with 409 INVOICE_TRANSITION_NOT_ALLOWED"]
      }
    ],
    examples: [
      {
        key: "send-repair-invoice",
        input: { invoiceId: "invoice-9" },
        output: { ...exampleInvoice, status: "sent", sentAt: AT, updatedAt: AT }
      }
    ]
  }
})

export const VoidInvoice = command({
  meta: {
    key: "service.invoice.void",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "invoice", "void"],
    description: "Void an invoice that has no payments; its number stays used, and the job can be invoiced again.",
    goal: "Cancel a wrong invoice without losing its number.",
    context: "Invoicing corrections."
  },
  input: Schema.Struct({ invoiceId: InvoiceId, reason: Note }),
  output: Invoice,
  errors: [InvoiceNotFound, InvoiceTransitionNotAllowed, InvoiceHasPayments],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "void-invoice-happy-path",
        given: ["An issued invoice without payments"],
        when: ["User voids it with a reason"],
        then: ["The invoice is void; the next invoice takes the next number (no reuse)"]
      },
      {
        key: "void-invoice-with-payments",
        given: ["An invoice with a partial payment"],
        when: ["User voids it"],
        then: ["The call is refused with 409 INVOICE_HAS_PAYMENTS"]
      }
    ],
    examples: [
      {
        key: "void-repair-invoice",
        input: { invoiceId: "invoice-9", reason: "Wrong client." },
        output: {
          ...exampleInvoice,
          status: "void",
          balanceMinor: 0,
          voidedAt: AT,
          voidReason: "Wrong client.",
          updatedAt: AT
        }
      }
    ]
  }
})

export const GetInvoice = query({
  meta: {
    key: "service.invoice.get",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "invoice", "get"],
    description: "Get one invoice, with what was paid and what is left.",
    goal: "Show an invoice.",
    context: "Invoice page."
  },
  input: Schema.Struct({ invoiceId: InvoiceId }),
  output: Invoice,
  errors: [InvoiceNotFound],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "get-invoice-overdue",
        given: ["An issued invoice whose due date has passed"],
        when: ["User gets it"],
        then: ["It reads as overdue"]
      },
      {
        key: "get-invoice-other-organization",
        given: ["An invoice of another organization"],
        when: ["User gets it by id"],
        then: ["The answer is 404 INVOICE_NOT_FOUND"]
      }
    ],
    examples: [{ key: "get-repair-invoice", input: { invoiceId: "invoice-9" }, output: exampleInvoice }]
  }
})

export const ListInvoices = query({
  meta: {
    key: "service.invoice.list",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "invoice", "list"],
    description: "List invoices, newest first, optionally of one client or in one status (overdue included).",
    goal: "Chase payments.",
    context: "Receivables."
  },
  input: Schema.Struct({
    status: Schema.optionalKey(InvoiceStatus),
    clientId: Schema.optionalKey(ClientId),
    limit: Schema.optionalKey(Limit),
    cursor: Schema.optionalKey(Cursor)
  }),
  output: Schema.Struct({ items: Schema.Array(Invoice), nextCursor: Schema.NullOr(Cursor) }),
  errors: [InvalidCursor],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "list-invoices-overdue",
        given: ["Invoices due in the past and in the future, one paid"],
        when: ["User lists overdue invoices"],
        then: ["Only unpaid invoices past their due date are returned, as overdue"]
      },
      {
        key: "list-invoices-huge-amounts",
        given: ["Invoices each billing close to 9007199254740991 minor units"],
        when: ["User lists them"],
        then: ["The list answers every amount exactly"]
      }
    ],
    examples: [
      {
        key: "list-issued",
        input: { status: "issued", limit: 10 },
        output: { items: [exampleInvoice], nextCursor: null }
      }
    ]
  }
})
