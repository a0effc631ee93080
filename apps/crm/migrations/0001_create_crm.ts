/**
 * The CRM's tables, in the `crm` schema (the migration runs with `search_path` set to it).
 * Every row carries its organization and every key starts with it: a query that forgets the
 * tenant cannot use an index, and a foreign key can never point into another organization.
 */
import * as Migrations from "@tessera/database/Migrations"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // Timestamps leave the database as the API writes them: ISO 8601 UTC with milliseconds
  // (the same SQL this migration always ran, now shared by every app).
  yield* Migrations.isoFunction

  yield* sql`
    CREATE TABLE pipelines (
      organization_id text NOT NULL,
      id text NOT NULL,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      created_by text NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (organization_id, id)
    )`
  yield* sql`CREATE UNIQUE INDEX pipelines_name ON pipelines (organization_id, lower(name))`

  yield* sql`
    CREATE TABLE stages (
      organization_id text NOT NULL,
      id text NOT NULL,
      pipeline_id text NOT NULL,
      name text NOT NULL,
      position integer NOT NULL CHECK (position >= 0),
      probability integer NOT NULL CHECK (probability BETWEEN 0 AND 100),
      is_won boolean NOT NULL DEFAULT false,
      is_lost boolean NOT NULL DEFAULT false,
      CHECK (NOT (is_won AND is_lost)),
      PRIMARY KEY (organization_id, id),
      UNIQUE (organization_id, pipeline_id, position),
      -- lets deals reference (stage, pipeline) together: a deal's stage is always of its pipeline
      UNIQUE (organization_id, id, pipeline_id),
      FOREIGN KEY (organization_id, pipeline_id) REFERENCES pipelines (organization_id, id)
    )`
  yield* sql`CREATE UNIQUE INDEX stages_one_won ON stages (organization_id, pipeline_id) WHERE is_won`
  yield* sql`CREATE UNIQUE INDEX stages_one_lost ON stages (organization_id, pipeline_id) WHERE is_lost`

  yield* sql`
    CREATE TABLE companies (
      organization_id text NOT NULL,
      id text NOT NULL,
      name text NOT NULL,
      domain text,
      industry text,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (organization_id, id)
    )`
  yield* sql`CREATE UNIQUE INDEX companies_domain ON companies (organization_id, domain) WHERE domain IS NOT NULL`
  yield* sql`CREATE INDEX companies_name ON companies (organization_id, lower(name), id)`

  yield* sql`
    CREATE TABLE contacts (
      organization_id text NOT NULL,
      id text NOT NULL,
      first_name text NOT NULL,
      last_name text,
      email text,
      phone text,
      company_id text,
      owner_id text NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (organization_id, id),
      FOREIGN KEY (organization_id, company_id) REFERENCES companies (organization_id, id)
    )`
  yield* sql`CREATE INDEX contacts_company ON contacts (organization_id, company_id, id)`
  yield* sql`CREATE INDEX contacts_created ON contacts (organization_id, created_at DESC, id DESC)`

  yield* sql`
    CREATE TABLE deals (
      organization_id text NOT NULL,
      id text NOT NULL,
      name text NOT NULL,
      value_minor bigint NOT NULL CHECK (value_minor BETWEEN 0 AND 9007199254740991),
      currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      pipeline_id text NOT NULL,
      stage_id text NOT NULL,
      status text NOT NULL CHECK (status IN ('open', 'won', 'lost')),
      owner_id text NOT NULL,
      contact_id text,
      company_id text,
      expected_close_date date,
      closed_at timestamptz,
      lost_reason text,
      lost_note text,
      won_source text,
      position integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CHECK ((status = 'open') = (closed_at IS NULL)),
      CHECK ((status = 'lost') = (lost_reason IS NOT NULL)),
      PRIMARY KEY (organization_id, id),
      FOREIGN KEY (organization_id, stage_id, pipeline_id) REFERENCES stages (organization_id, id, pipeline_id),
      FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id),
      FOREIGN KEY (organization_id, company_id) REFERENCES companies (organization_id, id)
    )`
  yield* sql`CREATE INDEX deals_board ON deals (organization_id, pipeline_id, stage_id, position)`
  yield* sql`CREATE INDEX deals_recent ON deals (organization_id, created_at DESC, id DESC)`
  yield* sql`CREATE INDEX deals_owner ON deals (organization_id, owner_id, status)`

  yield* sql`
    CREATE TABLE tasks (
      organization_id text NOT NULL,
      id text NOT NULL,
      type text NOT NULL CHECK (type IN ('call', 'email', 'meeting', 'todo', 'follow_up')),
      title text NOT NULL,
      due_at timestamptz,
      assignee_id text NOT NULL,
      status text NOT NULL CHECK (status IN ('open', 'completed')),
      deal_id text,
      contact_id text,
      completed_at timestamptz,
      created_at timestamptz NOT NULL,
      CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
      PRIMARY KEY (organization_id, id),
      FOREIGN KEY (organization_id, deal_id) REFERENCES deals (organization_id, id),
      FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id)
    )`
  yield* sql`CREATE INDEX tasks_assignee ON tasks (organization_id, assignee_id, status, due_at)`
  yield* sql`CREATE INDEX tasks_deal ON tasks (organization_id, deal_id) WHERE deal_id IS NOT NULL`
})
