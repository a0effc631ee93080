/**
 * Contacts that came from another system through the integration hub: which contact an external
 * record (sync config, external id) became, and the checksum of the fields last applied, so a
 * redelivered or unchanged record changes nothing.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE external_contacts (
      organization_id text NOT NULL,
      source text NOT NULL,
      external_id text NOT NULL,
      contact_id text NOT NULL,
      checksum text NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (organization_id, source, external_id),
      UNIQUE (organization_id, contact_id),
      FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id)
    )`
})
