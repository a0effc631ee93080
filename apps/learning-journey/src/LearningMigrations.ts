/**
 * The learning journey's migrations, run in its own `learning` schema with its own
 * `learning.migrations` table. Add a migration: a new `migrations/000N_name.ts` file
 * default-exporting an Effect, listed here.
 */
import type { SchemaMigrations } from "@tessera/database/Migrations"
import CreateLearning from "../migrations/0001_create_learning.ts"

export const LearningMigrations: SchemaMigrations = {
  schema: "learning",
  migrations: {
    "0001_create_learning": CreateLearning
  }
}
