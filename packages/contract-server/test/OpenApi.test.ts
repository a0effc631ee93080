import { assert, layer } from "@effect/vitest"
import { query } from "@tessera/contract-kit/Contract"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import * as ContractClient from "@tessera/contract-kit/ContractClient"
import { catalog } from "@tessera/contract-kit/fixtures/SampleContracts"
import { Effect, Layer, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import * as ContractServer from "../src/ContractServer.ts"
import { CallContext, implement } from "../src/Implementation.ts"
import * as SampleApp from "./fixtures/SampleApp.ts"
import * as TestServer from "./fixtures/TestServer.ts"

/** A second domain, mounted next to the sample one on the same router (as apps/stack does). */
const OtherHello = query({
  meta: {
    key: "other.greeting.hello",
    version: "1.0.0",
    stability: "beta",
    owners: ["@tessera/contract-kit"],
    tags: ["other"],
    description: "Say hello.",
    goal: "Prove two apps share one router.",
    context: "Tests."
  },
  input: Schema.Struct({ name: Schema.String }),
  output: Schema.Struct({ greeting: Schema.String }),
  policy: { auth: "anonymous" }
})
const OtherApi = ContractApi.make("other", [OtherHello])
const otherRoutes = ContractServer.layer({
  domain: "other",
  catalog: [
    implement(OtherHello, (input) =>
      Effect.gen(function* () {
        // The per-call facts are a service too, for code below the handler.
        const call = yield* CallContext
        return { greeting: `Hello, ${input.name} (${call.contractKey}, request ${call.requestId})` }
      })
    )
  ],
  openapiPath: "/other/openapi.json",
  docsPath: "/other/docs"
})

const Operation = Schema.Struct({
  operationId: Schema.String,
  parameters: Schema.optional(Schema.Array(Schema.Struct({ name: Schema.String, in: Schema.String }))),
  security: Schema.Array(Schema.Record(Schema.String, Schema.Array(Schema.String))),
  requestBody: Schema.optional(
    Schema.Struct({
      content: Schema.Record(Schema.String, Schema.Struct({ examples: Schema.optional(Schema.Unknown) }))
    })
  ),
  responses: Schema.Record(
    Schema.String,
    Schema.Struct({ content: Schema.optional(Schema.Record(Schema.String, Schema.Unknown)) })
  )
})
const Spec = Schema.Struct({
  openapi: Schema.String,
  paths: Schema.Record(Schema.String, Schema.Record(Schema.String, Operation)),
  components: Schema.Struct({ securitySchemes: Schema.Record(Schema.String, Schema.Unknown) })
})

const getJson = (path: string) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const response = yield* http.execute(HttpClientRequest.get(path))
    assert.strictEqual(response.status, 200)
    return yield* response.json
  })

const operations = (spec: typeof Spec.Type): Record<string, typeof Operation.Type> =>
  Object.fromEntries(
    Object.values(spec.paths).flatMap((methods) => Object.values(methods).map((op) => [op.operationId, op]))
  )

layer(TestServer.layer(Layer.merge(SampleApp.routes, otherRoutes)), { excludeTestServices: true })(
  "HTTP surfaces",
  (it) => {
    it.effect("/openapi.json: 3.1, operationId = contract key, errors as problem+json, bearer, examples", () =>
      Effect.gen(function* () {
        const raw = yield* getJson("/openapi.json")
        const spec = Schema.decodeUnknownSync(Spec)(raw)
        assert.strictEqual(spec.openapi, "3.1.0")
        const ops = operations(spec)
        assert.sameMembers(
          Object.keys(ops),
          catalog.map((contract) => contract.key)
        )
        assert.deepInclude(spec.components.securitySchemes, {
          bearer: {
            type: "http",
            scheme: "bearer",
            bearerFormat: "JWT",
            description: "HS256 JWT: sub = user id, org = organization id, roles = string[]"
          }
        })
        const create = ops["sample.task.create"]
        assert.deepStrictEqual(create?.security, [{ bearer: [] }])
        assert.deepStrictEqual(ops["sample.status.ping"]?.security, [{}, { bearer: [] }])
        assert.sameMembers(Object.keys(create?.responses ?? {}), [
          "200",
          "400",
          "401",
          "403",
          "409",
          "413",
          "415",
          "422",
          "500",
          "503"
        ])
        assert.sameMembers(Object.keys(ops["sample.task.complete"]?.responses ?? {}), [
          "200",
          "400",
          "401",
          "403",
          "404",
          "409",
          "413",
          "415",
          "422",
          "500",
          "503"
        ])
        // A GET query takes no body and no Idempotency-Key: no 413, 415 or 422.
        assert.sameMembers(Object.keys(ops["sample.task.list"]?.responses ?? {}), [
          "200",
          "400",
          "401",
          "403",
          "500",
          "503"
        ])
        // Every command documents Idempotency-Key; no query does.
        assert.include(
          (ops["sample.task.complete"]?.parameters ?? []).map((parameter) => `${parameter.in}:${parameter.name}`),
          "header:Idempotency-Key"
        )
        // Error schemas are named after the error and carry no Effect-internal _tag.
        assert.notInclude(JSON.stringify(raw), "Encoded")
        assert.notInclude(JSON.stringify(raw), '"_tag"')
        assert.hasAllKeys(create?.responses["409"]?.content ?? {}, ["application/problem+json"])
        assert.hasAllKeys(create?.responses["400"]?.content ?? {}, ["application/problem+json"])
        const list = ops["sample.task.list"]
        assert.isUndefined(list?.requestBody)
        assert.sameMembers(
          (list?.parameters ?? []).map((parameter) => `${parameter.in}:${parameter.name}`),
          ["query:status", "query:limit"]
        )
        assert.deepStrictEqual(create?.requestBody?.content["application/json"]?.examples, {
          "create-groceries": { summary: "create-groceries", value: { id: "task-1", title: "Buy groceries" } }
        })
      })
    )

    it.effect("/docs: a browsable page over the same document, bundled (no CDN)", () =>
      Effect.gen(function* () {
        const http = yield* HttpClient.HttpClient
        const response = yield* http.execute(HttpClientRequest.get("/docs"))
        assert.strictEqual(response.status, 200)
        assert.include(response.headers["content-type"] ?? "", "text/html")
        const html = yield* response.text
        assert.include(html, "sample.task.create")
        // The viewer's script is inlined, not fetched from a CDN: the page works offline.
        assert.notMatch(html, /<script[^>]+src=["']?https?:/)
        assert.isAbove(html.length, 100_000)
      })
    )

    it.effect("two apps on one router: each serves its endpoints, spec and docs", () =>
      Effect.gen(function* () {
        const other = yield* ContractClient.make(OtherApi)
        const hello = yield* other.other["other.greeting.hello"]({ payload: { name: "stack" } })
        assert.match(hello.greeting, /^Hello, stack \(other\.greeting\.hello, request [0-9a-f-]{36}\)$/)
        const sample = yield* TestServer.clientAs()
        assert.deepStrictEqual(yield* sample.sample["sample.status.ping"]({ payload: {} }), { pong: true })
        const otherSpec = Schema.decodeUnknownSync(Spec)(yield* getJson("/other/openapi.json"))
        assert.deepStrictEqual(Object.keys(operations(otherSpec)), ["other.greeting.hello"])
        const http = yield* HttpClient.HttpClient
        assert.strictEqual((yield* http.execute(HttpClientRequest.get("/other/docs"))).status, 200)
      })
    )
  }
)
