/**
 * The service business's whole catalog, as clients (`ContractApi.make("service", catalog)`), the
 * docs and the breaking-change snapshot read it.
 */
import { CreateClient, GetClient, ListClients } from "./Clients.ts"
import {
  ClientCreated,
  InvoiceIssued,
  InvoicePaid,
  JobCompleted,
  JobScheduled,
  PaymentReceived,
  QuoteAccepted,
  QuoteSent
} from "./Events.ts"
import { GetInvoice, IssueInvoice, ListInvoices, SendInvoice, VoidInvoice } from "./Invoices.ts"
import { AssignJob, CancelJob, CompleteJob, GetJob, ListJobs, RescheduleJob, ScheduleJob, StartJob } from "./Jobs.ts"
import { RecordPayment, RefundPayment } from "./Payments.ts"
import { AcceptQuote, CreateQuote, GetQuote, ListQuotes, RejectQuote, SendQuote } from "./Quotes.ts"

export const catalog = [
  CreateClient,
  GetClient,
  ListClients,
  CreateQuote,
  SendQuote,
  AcceptQuote,
  RejectQuote,
  GetQuote,
  ListQuotes,
  ScheduleJob,
  StartJob,
  CompleteJob,
  CancelJob,
  RescheduleJob,
  AssignJob,
  GetJob,
  ListJobs,
  IssueInvoice,
  SendInvoice,
  VoidInvoice,
  GetInvoice,
  ListInvoices,
  RecordPayment,
  RefundPayment
] as const

/** The events the service business publishes. */
export const events = [
  ClientCreated,
  QuoteSent,
  QuoteAccepted,
  JobScheduled,
  JobCompleted,
  InvoiceIssued,
  InvoicePaid,
  PaymentReceived
] as const
