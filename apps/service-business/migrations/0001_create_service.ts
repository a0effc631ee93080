/**
 * The service business's tables, in the `service` schema (the migration runs with `search_path`
 * set to it). Every row carries its organization and every key starts with it; composite foreign
 * keys keep references inside one organization; CHECK constraints hold the lifecycle invariants
 * (a completed job has `completed_at`, a paid invoice is covered, a refund is negative, …).
 *
 * Money columns are `bigint` minor units bounded to JavaScript's safe integers; rows leave as
 * JSON (`to_json`), in which those are exact integers.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

const SAFE = "9007199254740991"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // Timestamps leave the database as the API writes them: ISO 8601 UTC with milliseconds.
  yield* sql`
    CREATE FUNCTION iso(ts timestamptz) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$`
  // Today in UTC: quotes expire and invoices fall overdue by the database's clock, read by read.
  yield* sql`
    CREATE FUNCTION today() RETURNS date LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT (now() AT TIME ZONE 'UTC')::date $$`

  yield* sql`
    CREATE TABLE clients (
      organization_id text NOT NULL,
      id text NOT NULL,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      email text,
      phone text,
      address text,
      crm_contact_id text,
      crm_company_id text,
      -- the won CRM deal this client was made from (service.crmDeals), if any
      source_deal_id text,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (organization_id, id)
    )`
  yield* sql`CREATE INDEX clients_name ON clients (organization_id, lower(name), id)`
  yield* sql`CREATE INDEX clients_crm_company ON clients (organization_id, crm_company_id) WHERE crm_company_id IS NOT NULL`
  yield* sql`CREATE INDEX clients_crm_contact ON clients (organization_id, crm_contact_id) WHERE crm_contact_id IS NOT NULL`
  yield* sql`CREATE INDEX clients_source_deal ON clients (organization_id, source_deal_id) WHERE source_deal_id IS NOT NULL`

  yield* sql.unsafe(`
    CREATE TABLE quotes (
      organization_id text NOT NULL,
      id text NOT NULL,
      client_id text NOT NULL,
      status text NOT NULL CHECK (status IN ('draft', 'sent', 'accepted', 'rejected')),
      currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      lines jsonb NOT NULL CHECK (jsonb_typeof(lines) = 'array'),
      subtotal_minor bigint NOT NULL CHECK (subtotal_minor BETWEEN 0 AND ${SAFE}),
      tax_minor bigint NOT NULL CHECK (tax_minor BETWEEN 0 AND ${SAFE}),
      total_minor bigint NOT NULL CHECK (total_minor BETWEEN 0 AND ${SAFE}),
      valid_until date NOT NULL,
      notes text,
      source_deal_id text,
      sent_at timestamptz,
      accepted_at timestamptz,
      accepted_by text,
      rejected_at timestamptz,
      rejection_reason text,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CHECK (total_minor = subtotal_minor + tax_minor),
      CHECK ((status = 'draft') = (sent_at IS NULL)),
      CHECK ((status = 'accepted') = (accepted_at IS NOT NULL AND accepted_by IS NOT NULL)),
      CHECK ((status = 'rejected') = (rejected_at IS NOT NULL)),
      PRIMARY KEY (organization_id, id),
      -- lets jobs reference (quote, client) together: a job's quote is always its client's
      UNIQUE (organization_id, id, client_id),
      FOREIGN KEY (organization_id, client_id) REFERENCES clients (organization_id, id)
    )`)
  // The same won deal never drafts two quotes.
  yield* sql`CREATE UNIQUE INDEX quotes_source_deal ON quotes (organization_id, source_deal_id) WHERE source_deal_id IS NOT NULL`
  yield* sql`CREATE INDEX quotes_recent ON quotes (organization_id, created_at DESC, id DESC)`
  yield* sql`CREATE INDEX quotes_client ON quotes (organization_id, client_id, created_at DESC, id DESC)`

  yield* sql`
    CREATE TABLE jobs (
      organization_id text NOT NULL,
      id text NOT NULL,
      client_id text NOT NULL,
      quote_id text,
      type text NOT NULL CHECK (type IN ('repair', 'installation', 'maintenance', 'inspection', 'consultation', 'other')),
      status text NOT NULL CHECK (status IN ('scheduled', 'in_progress', 'completed', 'cancelled')),
      scheduled_at timestamptz NOT NULL,
      duration_minutes integer CHECK (duration_minutes > 0),
      assignee_id text,
      location text,
      notes text,
      cancellation_reason text,
      started_at timestamptz,
      completed_at timestamptz,
      cancelled_at timestamptz,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CHECK ((status = 'in_progress') <= (started_at IS NOT NULL)),
      CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
      CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL AND cancellation_reason IS NOT NULL)),
      PRIMARY KEY (organization_id, id),
      -- lets invoices reference (job, client) together
      UNIQUE (organization_id, id, client_id),
      FOREIGN KEY (organization_id, client_id) REFERENCES clients (organization_id, id),
      FOREIGN KEY (organization_id, quote_id, client_id) REFERENCES quotes (organization_id, id, client_id)
    )`
  // One index per filter of service.job.list, each ending in its sort key (scheduled_at, id).
  yield* sql`CREATE INDEX jobs_by_date ON jobs (organization_id, scheduled_at, id)`
  yield* sql`CREATE INDEX jobs_by_status ON jobs (organization_id, status, scheduled_at, id)`
  yield* sql`CREATE INDEX jobs_by_client ON jobs (organization_id, client_id, scheduled_at, id)`
  yield* sql`CREATE INDEX jobs_by_assignee ON jobs (organization_id, assignee_id, scheduled_at, id) WHERE assignee_id IS NOT NULL`

  // The last invoice sequence used per organization and year. The issuing transaction locks its
  // row (INSERT … ON CONFLICT DO UPDATE) from taking a number until it commits: numbers are never
  // shared, and a rolled-back issue gives its number back. Other organizations, other years and
  // every other write never touch the row.
  yield* sql`
    CREATE TABLE invoice_counters (
      organization_id text NOT NULL,
      year integer NOT NULL,
      last_sequence integer NOT NULL CHECK (last_sequence > 0),
      PRIMARY KEY (organization_id, year)
    )`

  yield* sql.unsafe(`
    CREATE TABLE invoices (
      organization_id text NOT NULL,
      id text NOT NULL,
      number text NOT NULL,
      year integer NOT NULL,
      sequence integer NOT NULL CHECK (sequence > 0),
      client_id text NOT NULL,
      job_id text NOT NULL,
      status text NOT NULL CHECK (status IN ('issued', 'sent', 'paid', 'void')),
      currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      lines jsonb NOT NULL CHECK (jsonb_typeof(lines) = 'array'),
      subtotal_minor bigint NOT NULL CHECK (subtotal_minor BETWEEN 0 AND ${SAFE}),
      tax_minor bigint NOT NULL CHECK (tax_minor BETWEEN 0 AND ${SAFE}),
      total_minor bigint NOT NULL CHECK (total_minor BETWEEN 0 AND ${SAFE}),
      -- payments net of refunds: never negative, never more than the total
      paid_minor bigint NOT NULL DEFAULT 0 CHECK (paid_minor BETWEEN 0 AND total_minor),
      issued_at timestamptz NOT NULL,
      due_date date NOT NULL,
      sent_at timestamptz,
      paid_at timestamptz,
      voided_at timestamptz,
      void_reason text,
      created_by text NOT NULL,
      updated_at timestamptz NOT NULL,
      CHECK (total_minor = subtotal_minor + tax_minor),
      CHECK ((status = 'paid') = (paid_at IS NOT NULL)),
      CHECK (status <> 'paid' OR paid_minor = total_minor),
      CHECK ((status = 'void') = (voided_at IS NOT NULL AND void_reason IS NOT NULL)),
      CHECK (status <> 'void' OR paid_minor = 0),
      CHECK (number = 'INV-' || year || '-' || CASE WHEN sequence < 10000 THEN lpad(sequence::text, 4, '0') ELSE sequence::text END),
      PRIMARY KEY (organization_id, id),
      UNIQUE (organization_id, year, sequence),
      UNIQUE (organization_id, number),
      FOREIGN KEY (organization_id, job_id, client_id) REFERENCES jobs (organization_id, id, client_id)
    )`)
  // A job has at most one invoice that is not void.
  yield* sql`CREATE UNIQUE INDEX invoices_one_per_job ON invoices (organization_id, job_id) WHERE status <> 'void'`
  // One index per filter of service.invoice.list, each ending in its sort key (issued_at, id), newest first.
  yield* sql`CREATE INDEX invoices_recent ON invoices (organization_id, issued_at DESC, id DESC)`
  yield* sql`CREATE INDEX invoices_by_status ON invoices (organization_id, status, issued_at DESC, id DESC)`
  yield* sql`CREATE INDEX invoices_by_client ON invoices (organization_id, client_id, issued_at DESC, id DESC)`
  // The overdue filter (issued or sent, past due): the unpaid ones in list order, due date checked on the way.
  yield* sql`CREATE INDEX invoices_unpaid ON invoices (organization_id, issued_at DESC, id DESC) WHERE status IN ('issued', 'sent')`

  yield* sql.unsafe(`
    CREATE TABLE payments (
      organization_id text NOT NULL,
      id text NOT NULL,
      invoice_id text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('payment', 'refund')),
      amount_minor bigint NOT NULL CHECK (amount_minor BETWEEN -${SAFE} AND ${SAFE} AND amount_minor <> 0),
      method text NOT NULL CHECK (method IN ('card', 'bank_transfer', 'cash', 'check')),
      reference text,
      reason text,
      refund_of text,
      received_at timestamptz NOT NULL,
      recorded_by text NOT NULL,
      created_at timestamptz NOT NULL,
      CHECK ((kind = 'payment') = (amount_minor > 0)),
      CHECK ((kind = 'refund') = (refund_of IS NOT NULL AND reason IS NOT NULL)),
      PRIMARY KEY (organization_id, id),
      FOREIGN KEY (organization_id, invoice_id) REFERENCES invoices (organization_id, id),
      FOREIGN KEY (organization_id, refund_of) REFERENCES payments (organization_id, id)
    )`)
  yield* sql`CREATE INDEX payments_invoice ON payments (organization_id, invoice_id, created_at)`
  yield* sql`CREATE INDEX payments_refunds ON payments (organization_id, refund_of) WHERE refund_of IS NOT NULL`
})
