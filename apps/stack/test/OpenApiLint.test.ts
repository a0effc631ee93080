/**
 * Every OpenAPI document the stack serves (one per mounted app, found among the served routes)
 * passes `redocly lint` with its recommended rules: 0 errors, 0 warnings.
 */
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Os from "node:os"
import * as Path from "node:path"
import { promisify } from "node:util"
import { assert, layer } from "@effect/vitest"
import { KnownRoutes } from "@tessera/contract-server/EdgeRoutes"
import * as AppTest from "@tessera/test-kit/AppTest"
import { Effect, Schema } from "effect"
import { OpenApi } from "effect/http-api"
import * as FrontDoor from "../src/FrontDoor.ts"
import * as Stack from "../src/Stack.ts"
import * as Generated from "./support/Generated.ts"

const run = promisify(execFile)
const redocly = Path.join(
  Path.dirname(createRequire(import.meta.url).resolve("@redocly/cli/package.json")),
  "bin",
  "cli.js"
)

const Totals = Schema.Struct({ totals: Schema.Struct({ errors: Schema.Number, warnings: Schema.Number }) })

const lint = (file: string) =>
  Effect.promise(() =>
    run(process.execPath, [redocly, "lint", file, "--extends=recommended", "--format=json"], {
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
      maxBuffer: 64 * 1024 * 1024
    }).then(
      ({ stdout }) => stdout,
      (error: { stdout?: string }) => error.stdout ?? ""
    )
  )

layer(AppTest.layer(Stack.apps), { excludeTestServices: true })("OpenAPI documents", (it) => {
  it.effect(
    "every served OpenAPI document passes redocly lint (recommended): 0 errors, 0 warnings",
    () =>
      Effect.gen(function* () {
        const routes = yield* KnownRoutes
        const documents = [...routes.keys()].filter((path) => path.endsWith("openapi.json")).sort()
        assert.isAtLeast(documents.length, 1)
        const port = yield* Generated.serverPort
        const sender = Generated.makeSender(port)
        const folder = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tessera-openapi-"))
        const results = yield* Effect.forEach(documents, (path) =>
          Effect.gen(function* () {
            const response = yield* sender.send({ operation: path, kind: "openapi", method: "GET", path, headers: {} })
            assert.strictEqual(response.status, 200, path)
            const file = Path.join(folder, `${path.replaceAll("/", "_")}`)
            Fs.writeFileSync(file, response.body)
            const output = yield* lint(file)
            const totals = Schema.decodeUnknownSync(Totals)(JSON.parse(output)).totals
            return { path, ...totals, output }
          })
        )
        sender.close()
        // The front door's one document over every domain (what `pnpm start` serves at /openapi.json).
        const contracts = yield* Generated.servedContracts
        const domains = [...new Set(contracts.map((contract) => contract.key.split(".")[0] ?? ""))].map((domain) => ({
          domain,
          name: domain,
          contracts: contracts.filter((contract) => contract.key.startsWith(`${domain}.`)),
          openapiPath: `/${domain}/openapi.json`,
          docsPath: `/${domain}/docs`
        }))
        const merged = Path.join(folder, "front-door-openapi.json")
        Fs.writeFileSync(merged, JSON.stringify(OpenApi.fromApi(FrontDoor.mergedApi(domains))))
        const mergedOutput = yield* lint(merged)
        const mergedTotals = Schema.decodeUnknownSync(Totals)(JSON.parse(mergedOutput)).totals
        results.push({ path: "/openapi.json (front door)", ...mergedTotals, output: mergedOutput })
        Fs.rmSync(folder, { recursive: true, force: true })
        process.stdout.write(
          `${results.map((result) => `redocly lint ${result.path}: ${result.errors} errors, ${result.warnings} warnings`).join("\n")}\n`
        )
        for (const result of results) {
          assert.deepStrictEqual(
            { path: result.path, errors: result.errors, warnings: result.warnings },
            {
              path: result.path,
              errors: 0,
              warnings: 0
            },
            result.output.slice(0, 4000)
          )
        }
      }),
    { timeout: 120_000 }
  )
})
