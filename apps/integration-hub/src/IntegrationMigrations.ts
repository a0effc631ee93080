/**
 * The integration hub's migrations, run in its own `integration` schema with its own
 * `integration.migrations` table.
 */
import type { SchemaMigrations } from "@tessera/database/Migrations"
import CreateIntegration from "../migrations/0001_create_integration.ts"

export const IntegrationMigrations: SchemaMigrations = {
  schema: "integration",
  migrations: {
    "0001_create_integration": CreateIntegration
  }
}
