/**
 * `pnpm seed`: a demo organization to explore, filled by every mounted app's own seed (the CRM's
 * pipeline, companies, contacts, deals and a task; the learning journey's built-in tracks; …), and
 * a development token to call the API as a newcomer of that organization.
 *
 * Each app's seed goes through its public surface (its contracts over HTTP, on a server of the
 * whole stack on a loopback port for the seed's lifetime), so every rule, event and audit row
 * applies. The seeding user is `seed-bot`; the printed token is for `demo-user`, whose learning
 * journey starts untouched. Running it again changes nothing.
 */
import { createServer } from "node:http"
import { parseArgs } from "node:util"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import type * as App from "@tessera/contract-server/App"
import * as AppProcess from "@tessera/contract-server/AppProcess"
import { Auth } from "@tessera/contract-server/Auth"
import * as ContractServer from "@tessera/contract-server/ContractServer"
import * as Telemetry from "@tessera/contract-server/Telemetry"
import * as Database from "@tessera/database/Database"
import { Console, Effect, Layer } from "effect"
import { HttpServer } from "effect/http"
import * as Stack from "./Stack.ts"

export const DEMO_ORGANIZATION = "demo"
export const DEMO_USER = "demo-user"

/**
 * `--org NAME` (repeatable) seeds those organizations instead of `demo`; `--app DOMAIN`
 * (repeatable) runs only those apps' seeds (e.g. `--app learning` installs just the built-in tracks).
 */
const { values } = parseArgs({
  options: {
    org: { type: "string", multiple: true, default: [DEMO_ORGANIZATION] },
    app: { type: "string", multiple: true, default: [] }
  }
})
const organizations = values.org
const seeded = values.app.length === 0 ? Stack.apps : Stack.apps.filter((app) => values.app.includes(app.domain))

const seedOrganization = (organizationId: string) =>
  Effect.gen(function* () {
    const auth = yield* Auth
    const context: App.SeedContext = {
      organizationId,
      baseUrl: yield* HttpServer.addressFormattedWith(Effect.succeed),
      token: (userId, roles) => auth.mint({ userId, organizationId, roles: [...roles] })
    }
    const lines: Array<string> = []
    for (const app of seeded) lines.push(...(yield* app.seed(context)))
    return lines.length > 0
      ? `Seeded the "${organizationId}" organization:\n${lines.map((line) => `  - ${line}`).join("\n")}`
      : `The "${organizationId}" organization was seeded before; nothing changed.`
  })

const program = Effect.gen(function* () {
  const auth = yield* Auth
  const reports = yield* Effect.forEach(organizations, seedOrganization)
  const first = organizations[0] ?? DEMO_ORGANIZATION
  const token = yield* auth.mint({ userId: DEMO_USER, organizationId: first, roles: ["admin"] })
  yield* Console.log(
    [
      ...reports,
      "",
      `A development token for ${DEMO_USER} (admin of ${first}), valid 12 hours:`,
      "",
      `export TOKEN=${token}`,
      "",
      "Then, with the stack running (npm start):",
      `  curl -s -X POST localhost:3000/crm/deal/list -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{}'`,
      "  open http://localhost:3000/crm/docs"
    ].join("\n")
  )
})

/** The stack's apps on an in-process HTTP server on a free loopback port, for the seed's lifetime. */
const SeedServer = ContractServer.serve(AppProcess.routesOf(Stack.apps)).pipe(
  Layer.provideMerge(Stack.options.eventSink),
  Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
  Layer.provideMerge(AppProcess.migrationsOf(Stack.options)),
  Layer.provideMerge(Database.layer),
  Layer.provideMerge(Auth.layer)
)

// Logs (migrations, the database) go to stderr: stdout is the report and the token line.
NodeRuntime.runMain(program.pipe(Effect.provide(SeedServer), Effect.provide(Telemetry.cliLogging)))
