/**
 * The CRM's records as the hub has seen them in the CRM's events (`contact.created`: ids only),
 * for syncs that read the CRM: a sync config whose reading side is a CRM connection pages through
 * them in arrival order (`position`).
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE SEQUENCE crm_records_position`
  yield* sql`
    CREATE TABLE crm_records (
      organization_id text NOT NULL,
      object text NOT NULL,
      external_id text NOT NULL,
      position bigint NOT NULL DEFAULT nextval('crm_records_position'),
      record jsonb NOT NULL,
      recorded_at timestamptz NOT NULL,
      PRIMARY KEY (organization_id, object, external_id)
    )`
  yield* sql`CREATE UNIQUE INDEX crm_records_order ON crm_records (organization_id, object, position)`
})
