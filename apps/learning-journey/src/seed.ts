/**
 * Installs the built-in tracks (the CRM first win) into organizations, migrating the `learning`
 * schema first:
 *
 *   pnpm --filter @tessera/learning-journey seed [--org acme ...]
 *
 * The organization defaults to `dev-org`, the development token's. Running it again changes
 * nothing. The stack's `pnpm seed` calls `BuiltInTracks.install` the same way.
 */
import { parseArgs } from "node:util"
import { NodeRuntime } from "@effect/platform-node"
import * as Database from "@tessera/database/Database"
import * as Migrations from "@tessera/database/Migrations"
import { Effect } from "effect"
import * as BuiltInTracks from "./BuiltInTracks.ts"
import { LearningMigrations } from "./LearningMigrations.ts"
import { TrackRepository } from "./repositories/TrackRepository.ts"

const { values } = parseArgs({ options: { org: { type: "string", multiple: true, default: ["dev-org"] } } })

const program = Effect.gen(function* () {
  yield* Migrations.run(LearningMigrations)
  for (const organizationId of values.org) {
    const installed = yield* BuiltInTracks.install(organizationId)
    yield* Effect.logInfo(
      installed.length === 0
        ? `${organizationId}: the built-in tracks were already installed`
        : `${organizationId}: installed ${installed.join(", ")}`
    )
  }
}).pipe(Effect.provide(TrackRepository.layer), Effect.provide(Database.layer))

NodeRuntime.runMain(program)
