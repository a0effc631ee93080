/**
 * The CRM's migrations, run in its own `crm` schema with its own `crm.migrations` table.
 * Add a migration: a new `migrations/000N_name.ts` file default-exporting an Effect, listed here.
 */
import type { SchemaMigrations } from "@tessera/database/Migrations"
import CreateCrm from "../migrations/0001_create_crm.ts"

export const CrmMigrations: SchemaMigrations = {
  schema: "crm",
  migrations: {
    "0001_create_crm": CreateCrm
  }
}
