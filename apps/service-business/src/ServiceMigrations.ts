/**
 * The service business's migrations, run in its own `service` schema with its own
 * `service.migrations` table. Add one: a new `migrations/000N_name.ts` default-exporting an Effect,
 * listed here.
 */
import type { SchemaMigrations } from "@tessera/database/Migrations"
import CreateService from "../migrations/0001_create_service.ts"

export const ServiceMigrations: SchemaMigrations = {
  schema: "service",
  migrations: {
    "0001_create_service": CreateService
  }
}
