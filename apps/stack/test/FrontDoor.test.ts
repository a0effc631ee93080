/**
 * The stack's front door, served in-process with every mounted app: the landing page, one OpenAPI
 * document whose operationIds are every mounted contract's key, the Scalar page, the catalog JSON
 * Studio reads, and the development login, refused outside development.
 */
import { assert, layer } from "@effect/vitest"
import * as AppTest from "@tessera/test-kit/AppTest"
import { Effect } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { apps, domains, FrontDoorApp } from "../src/Stack.ts"

const get = (path: string) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(HttpClientRequest.get(path))
    return { status: response.status, contentType: response.headers["content-type"] ?? "", text: yield* response.text }
  })

layer(AppTest.layer([...apps, FrontDoorApp]), { excludeTestServices: true })("the front door", (it) => {
  it.effect("/ lists every mounted domain with its docs, Studio, /docs, /openapi.json and /health", () =>
    Effect.gen(function* () {
      const page = yield* get("/")
      assert.strictEqual(page.status, 200)
      assert.include(page.contentType, "text/html")
      for (const link of ["/studio/", "/docs", "/openapi.json", "/health"]) assert.include(page.text, `href="${link}"`)
      for (const domain of domains) {
        assert.include(page.text, `href="${domain.docsPath}"`)
        assert.include(page.text, `href="${domain.openapiPath}"`)
      }
    })
  )

  it.effect("/openapi.json: one document over every mounted app, operationId = contract key; /docs serves it", () =>
    Effect.gen(function* () {
      const answer = yield* get("/openapi.json")
      assert.strictEqual(answer.status, 200)
      const spec: { paths: Record<string, Record<string, { operationId: string; tags: Array<string> }>> } = JSON.parse(
        answer.text
      )
      const operations = Object.values(spec.paths).flatMap((item) => Object.values(item))
      const expected = domains.flatMap((domain) => domain.contracts.map((contract) => contract.key)).sort()
      assert.deepStrictEqual(operations.map((operation) => operation.operationId).sort(), expected)
      for (const operation of operations) assert.deepStrictEqual(operation.tags, [operation.operationId.split(".")[0]])
      const docs = yield* get("/docs")
      assert.strictEqual(docs.status, 200)
      assert.include(docs.text, "dispatch.deadLetter.replay")
      // Scalar is inlined, not fetched from a CDN, and told to use the system fonts.
      assert.notMatch(docs.text, /<script[^>]+src="https?:/)
      assert.include(docs.text, '"withDefaultFonts":false')
      // The per-app documents stay.
      for (const domain of domains) assert.strictEqual((yield* get(domain.openapiPath)).status, 200)
    })
  )

  it.effect("/catalog.json: contracts with schemas, errors, policy, emitted events; events with versions", () =>
    Effect.gen(function* () {
      const answer = yield* get("/catalog.json")
      assert.strictEqual(answer.status, 200)
      const catalog: {
        domains: Array<{
          domain: string
          contracts: Array<{
            key: string
            errors: Array<{ tag: string; code: string; status: number; title: string; when: string | null }>
            emits: Array<{ type: string }>
            policy: { auth: string }
          }>
        }>
        events: Record<
          string,
          { producer: string; consumers: Array<string>; schema_versions: Array<{ version: number }> }
        >
      } = JSON.parse(answer.text)
      assert.deepStrictEqual(
        catalog.domains.map((d) => d.domain),
        domains.map((d) => d.domain)
      )
      const win = catalog.domains.flatMap((d) => d.contracts).find((c) => c.key === "crm.deal.win")
      assert.deepInclude(win?.errors ?? [], {
        tag: "DealNotFound",
        code: "DEAL_NOT_FOUND",
        status: 404,
        title: "Deal not found",
        when: "No deal with this id in the caller's organization"
      })
      assert.isTrue(win?.emits.some((e) => e.type === "deal.won"))
      const replay = catalog.domains.flatMap((d) => d.contracts).find((c) => c.key === "dispatch.deadLetter.replay")
      assert.strictEqual(replay?.policy.auth, "admin")
      assert.strictEqual(catalog.events["contact.created"]?.producer, "crm")
      assert.include(catalog.events["contact.created"]?.consumers ?? [], "learning")
    })
  )

  it.effect(
    "Studio: served at /studio (or a 503 page saying how to build it); the development login is refused outside development",
    () =>
      Effect.gen(function* () {
        const studio = yield* get("/studio/")
        assert.include([200, 503], studio.status)
        assert.include(studio.contentType, "text/html")
        const client = yield* HttpClient.HttpClient
        const login = yield* client.execute(HttpClientRequest.post("/studio/dev-login"))
        assert.strictEqual(login.status, 403)
        assert.include(yield* login.text, "DEV_LOGIN_DISABLED")
        const session: { environment: string; devLogin: boolean } = JSON.parse(
          (yield* get("/studio/session.json")).text
        )
        assert.deepStrictEqual(session, { environment: "test", devLogin: false })
      })
  )
})
