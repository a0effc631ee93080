/**
 * Vitest global setup: one PostgreSQL per test run. With `DATABASE_URL` set, that server is used;
 * otherwise an embedded server is started in a private temp folder (fsync off: its data is
 * thrown away) and stopped when the run ends. Test files get their own database from it through
 * `TestDatabase.layer`.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as EmbeddedPostgres from "@tessera/database/EmbeddedPostgres"
import { Effect, Exit, Redacted, Scope } from "effect"
import type { TestProject } from "vitest/node"
import "./TestDatabase.ts"

export default async function setup(project: TestProject) {
  const external = process.env.DATABASE_URL?.trim()
  if (external) {
    project.provide("tesseraAdminUrl", external)
    return
  }
  const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tessera-test-pg-"))
  // mkdtemp makes the folder 0700; the server may run as another user (postgres, when root).
  Fs.chmodSync(root, 0o755)
  const scope = Effect.runSync(Scope.make())
  const server = await Effect.runPromise(
    EmbeddedPostgres.start({ dataDir: Path.join(root, "data"), port: 0, ephemeral: true, relocateBinaries: true }).pipe(
      Scope.provide(scope)
    )
  )
  project.provide("tesseraAdminUrl", Redacted.value(server.url("postgres")))
  return async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    Fs.rmSync(root, { recursive: true, force: true })
  }
}
