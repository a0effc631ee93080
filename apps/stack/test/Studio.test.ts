/**
 * Studio in a real browser: Debian's Chromium driven by playwright-core against the stack's apps
 * (CRM, learning journey with its consumer, operations, the front door serving the built Studio)
 * in this process on a real port, in development mode so the one-click login works.
 *
 * Sign in, browse a contract and an event, see the registry graph, watch a CRM command's events
 * arrive in the live tail and open one with its deliveries, open its flow across the CRM and the
 * learning journey, then replay a real dead letter and see it delivered. Each page is saved as a
 * screenshot in apps/studio/test-artifacts/ (git-ignored).
 */
import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import * as ContractClient from "@tessera/contract-kit/ContractClient"
import * as AppProcess from "@tessera/contract-server/AppProcess"
import * as Auth from "@tessera/contract-server/Auth"
import * as ContractServer from "@tessera/contract-server/ContractServer"
import { catalog as crmCatalog } from "@tessera/contracts/crm/Catalog"
import { ContactCreated } from "@tessera/contracts/crm/Events"
import { registry } from "@tessera/contracts/registry"
import * as Consumer from "@tessera/dispatcher/Consumer"
import * as DispatchMigrations from "@tessera/dispatcher/DispatchMigrations"
import * as Outbox from "@tessera/dispatcher/Outbox"
import * as Worker from "@tessera/dispatcher/Worker"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Effect, Layer, Redacted, Schedule } from "effect"
import { HttpServer } from "effect/http"
import { type Browser, chromium, type Page } from "playwright-core"
import { DEV_ORGANIZATION } from "../src/FrontDoor.ts"
import { apps, FrontDoorApp } from "../src/Stack.ts"

const root = Path.resolve(import.meta.dirname, "..", "..", "..")
const artifacts = Path.join(root, "apps", "studio", "test-artifacts")
const CHROMIUM = process.env.TESSERA_CHROMIUM ?? "/usr/bin/chromium"

const CrmApi = ContractApi.make("crm", crmCatalog)

/** Studio's development login works only when the process's Auth says development. */
const auth = Auth.make(Redacted.make("tessera-studio-test-secret-0123456789abcdef"), "development")

/** A consumer that rejects contact.created while `broken`: a real dead letter to replay. */
const CHECK = "learning.studioCheck"
const state = { broken: true, handled: new Set<string>() }
const CheckConsumer = Consumer.make({
  name: CHECK,
  domain: "learning",
  retry: Schedule.recurs(0),
  handlers: [
    Consumer.on(ContactCreated, (event) =>
      state.broken
        ? Consumer.reject("the studio check is broken on purpose")
        : Effect.sync(() => state.handled.add(event.event_id))
    )
  ]
})

const served = [...apps, FrontDoorApp]
const TestLayer = Layer.mergeAll(
  ContractServer.serve(AppProcess.routesOf(served)),
  ...apps.map((app) => app.workers),
  Worker.layer([CheckConsumer], { registry, pollInterval: "100 millis" })
).pipe(
  Layer.provideMerge(Layer.mergeAll(Outbox.layer(registry), Layer.succeed(Auth.Auth, auth))),
  Layer.provideMerge(NodeHttpServer.layerTest),
  Layer.provideMerge(AppProcess.migrationsOf({ apps: served, migrations: DispatchMigrations.layer })),
  Layer.provideMerge(TestDatabase.layer())
)

const buildStudio = Effect.sync(() =>
  spawnSync(process.execPath, [Path.join(root, "apps", "studio", "scripts", "build.mjs")], { encoding: "utf8" })
).pipe(
  Effect.flatMap((result) =>
    result.status === 0 ? Effect.void : Effect.die(`studio build failed: ${result.stderr}${result.stdout}`)
  )
)

const browser = Effect.acquireRelease(
  Effect.promise(() => chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] })),
  (b: Browser) => Effect.promise(() => b.close())
)

const step = <A>(run: () => Promise<A>) => Effect.promise(run)

const shot = (page: Page, name: string) =>
  step(() => page.screenshot({ path: Path.join(artifacts, name), fullPage: true }))

layer(TestLayer, { excludeTestServices: true })("Studio in Chromium", (it) => {
  it.effect("sign in, catalog, registry graph, live tail, flow across CRM and learning, dead letter replayed", () =>
    Effect.gen(function* () {
      yield* buildStudio
      Fs.mkdirSync(artifacts, { recursive: true })
      const server = yield* HttpServer.HttpServer
      const port = "port" in server.address ? server.address.port : 0
      const base = `http://127.0.0.1:${port}`

      // The demo organization's learning tracks, as `pnpm seed` installs them.
      const [learning] = apps.filter((app) => app.domain === "learning")
      if (learning === undefined) return assert.fail("the learning journey is not mounted")
      yield* learning.seed({
        organizationId: DEV_ORGANIZATION,
        // The test's HttpClient (NodeHttpServer.layerTest) already points at the server.
        baseUrl: "",
        token: (userId, roles) => auth.mint({ userId, organizationId: DEV_ORGANIZATION, roles: [...roles] })
      })

      const chrome = yield* browser
      const page = yield* step(() => chrome.newPage({ viewport: { width: 1400, height: 900 } }))
      page.setDefaultTimeout(30_000)
      const problems: Array<string> = []
      page.on("pageerror", (error) => problems.push(error.message))

      // Sign in with one click (development).
      yield* step(() => page.goto(`${base}/studio/`))
      yield* step(() => page.getByRole("button", { name: /Development login/ }).waitFor())
      yield* shot(page, "01-login.png")
      yield* step(() => page.getByRole("button", { name: /Development login/ }).click())
      yield* step(() => page.locator(".sidebar").waitFor())

      // Browse a contract: meta, schemas, errors with status and code, emitted events, acceptance.
      yield* step(() => page.locator(".sidebar a", { hasText: "crm.deal.win" }).click())
      yield* step(() => page.locator(".detail h2", { hasText: "crm.deal.win" }).waitFor())
      const contractText = yield* step(() => page.locator(".detail").textContent())
      assert.include(contractText, "DEAL_NOT_FOUND")
      assert.include(contractText, "404")
      assert.include(contractText, "deal.won@")
      assert.include(contractText, "auth: user")
      yield* shot(page, "02-catalog-contract.png")
      yield* step(() => page.locator(".detail a", { hasText: "deal.won@" }).first().click())
      yield* step(() => page.locator(".detail h2", { hasText: "deal.won" }).waitFor())
      const eventText = yield* step(() => page.locator(".detail").textContent())
      assert.include(eventText, "crm.deal.win")
      assert.include(eventText, "Version 1")
      yield* shot(page, "03-catalog-event.png")

      // The registry graph: producer → event → consumers.
      yield* step(() => page.getByRole("link", { name: "Registry graph" }).click())
      yield* step(() => page.locator('svg.graph [data-node="event:deal.won"]').waitFor())
      const nodes = yield* step(() =>
        page.locator("svg.graph [data-node]").evaluateAll((els) => els.map((e) => e.getAttribute("data-node")))
      )
      assert.include(nodes, "producer:crm")
      assert.include(nodes, "consumer:learning")
      assert.include(nodes, "event:contact.created")
      const edges = yield* step(() => page.locator("svg.graph path.edge").count())
      assert.isAbove(edges, 10)
      yield* shot(page, "04-registry-graph.png")

      // The live tail, then a CRM user's work: its events arrive while the page is open.
      yield* step(() => page.getByRole("link", { name: "Live events" }).click())
      yield* step(() => page.locator('[data-testid="tail-status"]', { hasText: "live" }).waitFor())
      state.broken = false
      const ada = { userId: "ada", organizationId: DEV_ORGANIZATION, roles: ["admin"] }
      const crm = (yield* ContractClient.make(CrmApi, { token: yield* auth.mint(ada) })).crm
      const pipeline = yield* crm["crm.pipeline.create"]({
        payload: {
          name: "Sales",
          stages: [
            { name: "Lead", probability: 10 },
            { name: "Proposal", probability: 50 },
            { name: "Won", probability: 100, isWon: true }
          ]
        }
      })
      const deal = yield* crm["crm.deal.create"]({
        payload: { name: "First deal", value: { amountMinor: 500_000, currency: "EUR" }, pipelineId: pipeline.id },
        headers: {}
      })
      yield* crm["crm.deal.win"]({ payload: { dealId: deal.id } })
      yield* step(() => page.locator('tr[data-event-type="deal.won"]').waitFor())
      yield* step(() => page.locator('tr[data-event-type="onboarding.started"]').waitFor())
      yield* shot(page, "05-live-events.png")

      // An event's envelope and its deliveries per consumer.
      yield* step(() => page.locator('tr[data-event-type="deal.won"]').click())
      yield* step(() =>
        page
          .locator('[data-testid="event-drawer"] tr[data-consumer="learning.progress"][data-state="handled"]')
          .waitFor()
      )
      const drawer = yield* step(() => page.locator('[data-testid="event-drawer"]').textContent())
      assert.include(drawer, deal.id)
      yield* shot(page, "06-event-deliveries.png")

      // The pipeline's flow: the CRM request, its event, the learning journey's handling and the
      // onboarding events that handling published under the same correlation id.
      yield* step(() => page.locator('tr[data-event-type="pipeline.created"]').click())
      yield* step(() =>
        page
          .locator('[data-testid="event-drawer"] tr[data-consumer="learning.progress"][data-state="handled"]')
          .waitFor()
      )
      yield* step(() => page.locator('[data-testid="event-drawer"] a', { hasText: /-/ }).first().click())
      yield* step(() => page.locator('[data-testid="timeline"] [data-request="crm.pipeline.create"]').waitFor())
      yield* step(() =>
        page
          .locator('[data-flow-event="pipeline.created"] [data-delivery="learning.progress"][data-state="handled"]')
          .waitFor()
      )
      yield* step(() => page.locator('[data-flow-event="onboarding.started"]').waitFor())
      const flowText = yield* step(() => page.locator("article.detail").textContent())
      assert.include(flowText, "crm → learning")
      yield* shot(page, "07-flow.png")

      // A real dead letter: the check consumer rejects a contact, then is fixed, and Studio replays it.
      state.broken = true
      const contact = yield* crm["crm.contact.create"]({ payload: { firstName: "Grace" } })
      yield* step(() => page.getByRole("link", { name: "Consumers" }).click())
      const row = page.locator(`tr[data-dead-letter^="${CHECK}#"]`)
      yield* step(() => row.waitFor())
      assert.include(yield* step(() => row.textContent()), "contact.created")
      yield* step(() => row.getByRole("button", { name: "Payload" }).click())
      yield* step(() => page.locator("pre", { hasText: contact.id }).waitFor())
      yield* shot(page, "08-consumers-dead-letter.png")
      state.broken = false
      yield* step(() => row.getByRole("button", { name: "Replay" }).click())
      yield* step(() => page.locator('[data-testid="notice"]', { hasText: "Replayed 1 dead letter" }).waitFor())
      yield* step(() => page.locator('[data-testid="no-dead-letters"]').waitFor())
      yield* Effect.sync(() => state.handled.size > 0).pipe(
        Effect.filterOrFail((handled) => handled),
        Effect.retry(Schedule.spaced("100 millis")),
        Effect.timeout("20 seconds")
      )
      yield* shot(page, "09-consumers-replayed.png")

      // Signing in with a pasted token (what production offers): a user's token is refused, an admin's works.
      yield* step(() => page.getByRole("button", { name: "Sign out" }).click())
      const userToken = yield* auth.mint({ userId: "bob", organizationId: DEV_ORGANIZATION, roles: [] })
      yield* step(() => page.locator("#token").fill(userToken))
      yield* step(() => page.getByRole("button", { name: "Sign in with this token" }).click())
      yield* step(() => page.locator(".login .error", { hasText: "no admin role" }).waitFor())
      yield* shot(page, "10-login-refused.png")
      const adminToken = yield* auth.mint({ userId: "ada", organizationId: DEV_ORGANIZATION, roles: ["admin"] })
      yield* step(() => page.locator("#token").fill(`Bearer ${adminToken}`))
      yield* step(() => page.getByRole("button", { name: "Sign in with this token" }).click())
      yield* step(() => page.locator(".top nav").waitFor())
      assert.deepStrictEqual(problems, [])
    })
  )
})
