import { assert, describe, it } from "@effect/vitest"
import * as Catalog from "@tessera/contract-kit/Catalog"
import { command, query } from "@tessera/contract-kit/Contract"
import { CompleteTask, CreateTask, catalog } from "@tessera/contract-kit/fixtures/SampleContracts"
import { TaskArchived, TaskCompleted, TaskCreated } from "@tessera/contract-kit/fixtures/SampleEvents"
import * as EventDefinition from "@tessera/envelope/EventDefinition"
import * as Registry from "@tessera/envelope/Registry"
import { Effect, Layer, Schema } from "effect"
import * as ContractServer from "../src/ContractServer.ts"
import { implement } from "../src/Implementation.ts"
import * as SampleApp from "./fixtures/SampleApp.ts"
import * as TestServer from "./fixtures/TestServer.ts"

const meta = {
  key: "sample.broken.thing",
  version: "1.0.0",
  stability: "beta",
  owners: ["@tessera/contract-kit"],
  tags: [],
  description: "Broken on purpose.",
  goal: "Fail the catalog check.",
  context: "Tests."
} as const

/** An example that compiles (its type is widened) but does not decode: a runtime-built catalog. */
const wideExample: { readonly key: string; readonly input: { readonly count: number }; readonly output: {} } = {
  key: "negative",
  input: { count: -1 },
  output: {}
}
const BadExample = command({
  meta,
  input: Schema.Struct({ count: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)) }),
  output: Schema.Struct({}),
  policy: { auth: "user" },
  acceptance: { examples: [wideExample] }
})

const CrmDealLost = EventDefinition.define({
  type: "deal.lost",
  version: 1,
  producer: "crm",
  description: "Another domain's event.",
  payload: Schema.Struct({ dealId: Schema.String }),
  subject: (payload) => ({ type: "deal", id: payload.dealId })
})
const ForeignEvent = command({
  meta: { ...meta, key: "sample.broken.emitter" },
  input: Schema.Struct({}),
  output: Schema.Struct({}),
  policy: { auth: "user" },
  emits: [CrmDealLost, TaskArchived]
})

class NoStatus extends Schema.TaggedError<NoStatus>()("NoStatus", {}) {}
const StatuslessError = command({
  meta: { ...meta, key: "sample.broken.errors" },
  input: Schema.Struct({}),
  output: Schema.Struct({}),
  errors: [NoStatus],
  policy: { auth: "user" }
})

const AnonymousEmitter = command({
  meta: { ...meta, key: "sample.broken.anonymous" },
  input: Schema.Struct({}),
  output: Schema.Struct({}),
  policy: { auth: "anonymous" },
  emits: [TaskCreated]
})

const problemsOf = (contracts: Parameters<typeof Catalog.problems>[0], options?: Catalog.ValidateOptions) =>
  Catalog.problems(contracts, options).map((problem) => `${problem.contract}: ${problem.problem}`)

describe("Catalog validation", () => {
  it("the sample catalog is sound, against the event registry and in its domain", () => {
    assert.deepStrictEqual(
      problemsOf(catalog, { domain: "sample", events: [TaskCreated, TaskCompleted, TaskArchived] }),
      []
    )
  })

  it("unique key@version (and route)", () => {
    assert.deepStrictEqual(problemsOf([CreateTask, CompleteTask, CreateTask]), [
      "sample.task.create@1.0.0: key@version is declared twice"
    ])
  })

  it("every example decodes against its schemas", () => {
    assert.deepStrictEqual(problemsOf([BadExample]), [
      "sample.broken.thing@1.0.0: example negative: input does not decode: count: Expected a value greater than or equal to 0"
    ])
  })

  it("every emitted event is this domain's and registered", () => {
    assert.deepStrictEqual(problemsOf([ForeignEvent], { events: [TaskCreated] }), [
      "sample.broken.emitter@1.0.0: emits deal.lost@1, produced by crm, not by sample",
      "sample.broken.emitter@1.0.0: emits deal.lost@1, which is not in the event registry",
      "sample.broken.emitter@1.0.0: emits task.archived@1, which is not in the event registry"
    ])
  })

  it("against the event registry: registered, this domain's, not retired", () => {
    const registry = Registry.make({
      "task.created": {
        producer: "sample",
        consumers: [],
        owningContract: "sample.task.create",
        versions: [Registry.version(TaskCreated, { status: "retired", registeredAt: "2026-01-01", notes: "" })]
      },
      "deal.lost": {
        producer: "crm",
        consumers: ["sample"],
        owningContract: "crm.deal.lose",
        versions: [Registry.version(CrmDealLost, { status: "active", registeredAt: "2026-01-01", notes: "" })]
      }
    })
    assert.deepStrictEqual(problemsOf([CreateTask, ForeignEvent], { registry }), [
      "sample.task.create@1.0.0: emits task.created@1, which is retired in the event registry",
      "sample.broken.emitter@1.0.0: emits deal.lost@1, produced by crm, not by sample",
      "sample.broken.emitter@1.0.0: emits deal.lost@1, registered with crm as producer, not sample",
      "sample.broken.emitter@1.0.0: emits task.archived@1, which is not registered in the event registry"
    ])
  })

  it("GET is for queries whose input fits in a query string", () => {
    const NestedGet = query({
      meta: { ...meta, key: "sample.broken.search" },
      input: Schema.Struct({ tags: Schema.Array(Schema.String), where: Schema.Struct({ field: Schema.String }) }),
      output: Schema.Struct({}),
      policy: { auth: "user" },
      http: { method: "GET" }
    })
    const GetCommand = command({
      meta: { ...meta, key: "sample.broken.getter" },
      input: Schema.Struct({}),
      output: Schema.Struct({}),
      policy: { auth: "user" },
      http: { method: "GET" }
    })
    assert.deepStrictEqual(problemsOf([NestedGet, GetCommand]), [
      "sample.broken.search@1.0.0: input field where cannot travel as a query parameter (GET): use scalars or arrays of scalars",
      "sample.broken.getter@1.0.0: a command cannot be served with GET (GET must be safe to repeat)"
    ])
  })

  it("errors carry an HTTP status; anonymous contracts emit nothing; keys stay in their domain", () => {
    assert.deepStrictEqual(problemsOf([StatuslessError, AnonymousEmitter], { domain: "crm" }), [
      "sample.broken.errors@1.0.0: key is outside the crm domain served here",
      "sample.broken.errors@1.0.0: error NoStatus needs an httpApiStatus between 400 and 599",
      "sample.broken.anonymous@1.0.0: key is outside the crm domain served here",
      "sample.broken.anonymous@1.0.0: an anonymous contract cannot emit events (events need an organization and an actor)"
    ])
  })

  it.effect("a broken catalog refuses to start, naming the contract and the problem", () =>
    Effect.gen(function* () {
      const broken = ContractServer.layer({
        domain: "sample",
        catalog: [SampleApp.CreateTaskHandler, implement(BadExample, () => Effect.succeed({}))]
      }).pipe(Layer.provide(SampleApp.Tasks.layer))
      const error = yield* Effect.flip(Effect.scoped(Layer.build(TestServer.layer(broken))))
      assert.strictEqual(error._tag, "CatalogError")
      assert.include(error.message, "sample.broken.thing@1.0.0: example negative: input does not decode")
    })
  )
})
