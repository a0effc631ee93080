/**
 * The fuzz suite, generated from the catalog: every operation of every app mounted in
 * `Stack.apps` gets requests built from its input schema (acceptance examples and samples of
 * `Arbitrary.schema(contract.input)`) and mutations of them — wrong types, missing and extra
 * fields, NUL characters, lone surrogates, impossible dates, huge strings and numbers, deep
 * nesting, forged cursors, bodies that are not JSON, wrong content types, methods and path
 * variants, junk headers. It asserts **no answer ≥ 500** and a problem+json body on every error,
 * and prints the request count and status histogram.
 *
 * In-process server, a seeded RNG (`FUZZ_SEED`, default 11), `FUZZ_REQUESTS` in total (default
 * 10,000), sent 16 at a time.
 */
import { assert, layer } from "@effect/vitest"
import type { AnyContract } from "@tessera/contract-kit/Contract"
import * as AppTest from "@tessera/test-kit/AppTest"
import { Effect } from "effect"
import * as Stack from "../src/Stack.ts"
import * as Generated from "./support/Generated.ts"

const TOTAL = Number(process.env.FUZZ_REQUESTS ?? 10_000)
const SEED = Number(process.env.FUZZ_SEED ?? 11)
const CONCURRENCY = 16

type Json = unknown

const deep = (levels: number): string => `${"[".repeat(levels)}${"]".repeat(levels)}`

const WRONG_VALUES: readonly [Json, ...Array<Json>] = [
  123,
  -1.5,
  true,
  null,
  [],
  {},
  "text",
  "",
  [1, "two", null],
  { nested: { value: 1 } }
]
const HOSTILE_STRINGS: readonly [string, ...Array<string>] = [
  "a\u0000b",
  "\u0000",
  "\ud800",
  "x\udfffy",
  "2026-02-30T25:61:00Z",
  "2026-13-45",
  "0000-00-00",
  "x".repeat(100_000),
  "'; DROP TABLE crm.deals; --",
  "../../etc/passwd",
  "%00",
  "\u202e\u0301",
  "😀".repeat(50)
]
const HOSTILE_NUMBERS: readonly [Json, ...Array<Json>] = [
  2147483648,
  -2147483649,
  9007199254740991,
  2 ** 53 + 2,
  -(2 ** 63),
  1e308,
  -1e308,
  5e-324,
  0.1,
  -0
]
const FORGED_CURSORS: readonly [string, ...Array<string>] = [
  Buffer.from(JSON.stringify(["not-a-time", "x"])).toString("base64"),
  Buffer.from(JSON.stringify(["2026-02-30T25:61:00Z", "x"])).toString("base64url"),
  Buffer.from("not json").toString("base64"),
  Buffer.from(JSON.stringify({ a: 1 })).toString("base64url"),
  Buffer.from(JSON.stringify(["2025-01-01T00:00:00.000Z", "a\u0000"])).toString("base64url"),
  "!!!",
  "a"
]

type Mutation = (value: Record<string, Json>, rng: Generated.Rng) => Record<string, Json>

const keysOf = (value: Record<string, Json>): readonly [string, ...Array<string>] => {
  const keys = Object.keys(value)
  const [first, ...rest] = keys
  return first === undefined ? ["value"] : [first, ...rest]
}

const mutations: ReadonlyArray<readonly [string, Mutation]> = [
  [
    "missing-field",
    (value, rng) => {
      const copy = { ...value }
      delete copy[rng.pick(keysOf(value))]
      return copy
    }
  ],
  ["extra-field", (value) => ({ ...value, unexpected: "extra" })],
  ["wrong-type", (value, rng) => ({ ...value, [rng.pick(keysOf(value))]: rng.pick(WRONG_VALUES) })],
  ["hostile-string", (value, rng) => ({ ...value, [rng.pick(keysOf(value))]: rng.pick(HOSTILE_STRINGS) })],
  ["hostile-number", (value, rng) => ({ ...value, [rng.pick(keysOf(value))]: rng.pick(HOSTILE_NUMBERS) })],
  ["nested-hostile", (value, rng) => ({ ...value, [rng.pick(keysOf(value))]: { inner: rng.pick(HOSTILE_STRINGS) } })],
  ["forged-cursor", (value, rng) => ({ ...value, cursor: rng.pick(FORGED_CURSORS) })],
  ["hostile-limit", (value, rng) => ({ ...value, limit: rng.pick(HOSTILE_NUMBERS) })]
]

/** A whole-request mutation: bodies, content types, methods, paths, headers. */
const requestMutations = (
  contract: AnyContract,
  input: Json,
  token: string,
  rng: Generated.Rng
): Generated.RawRequest => {
  const auth = { authorization: `Bearer ${token}` }
  const base = Generated.callOf(contract, "valid", input, auth)
  const path = contract.http.path
  const choice = rng.int(12)
  switch (choice) {
    case 0:
      return {
        ...base,
        kind: "not-json",
        method: "POST",
        path,
        headers: { ...auth, "content-type": "application/json" },
        body: rng.pick(["{not json", "", "{", '{"a":', "\u0000", "[1,2", "'single'", "undefined", "\xff\xfe"])
      }
    case 1:
      return {
        ...base,
        kind: "json-not-object",
        method: contract.http.method === "GET" ? "POST" : contract.http.method,
        headers: { ...auth, "content-type": "application/json" },
        body: rng.pick(["null", "[]", '"text"', "123", "true", deep(5000)])
      }
    case 2:
      return {
        ...base,
        kind: "content-type",
        method: contract.http.method === "GET" ? "POST" : contract.http.method,
        headers:
          rng.next() < 0.2
            ? auth
            : {
                ...auth,
                "content-type": rng.pick([
                  "text/plain",
                  "application/x-www-form-urlencoded",
                  "multipart/form-data; boundary=x",
                  "application/xml",
                  "application/jsonp",
                  "json"
                ])
              },
        body: JSON.stringify(input)
      }
    case 3:
      return {
        ...base,
        kind: "method",
        method: rng.pick(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"] as const)
      }
    case 4: {
      const variants: readonly [string, ...Array<string>] = [
        path.toUpperCase(),
        `/${path}`,
        path.replace("/", "//"),
        `${path}/`,
        `${path};jsessionid=1`,
        `${path}/../${path.split("/").pop() ?? ""}`,
        path.replace(/\/([^/]+)$/, "/../$1"),
        `${path}%00`,
        `${path}/extra`,
        "/",
        "/nope",
        `/%2e%2e${path}`
      ]
      return { ...base, kind: "path", path: rng.pick(variants) }
    }
    case 5:
      return {
        ...base,
        kind: "traceparent",
        headers: {
          ...base.headers,
          traceparent: rng.pick([
            "junk",
            "00-xyz",
            `ff-${"0".repeat(32)}-${"0".repeat(16)}-01`,
            "\t",
            `00-${"a".repeat(32)}-${"b".repeat(16)}-01-extra`
          ])
        }
      }
    case 6:
      return {
        ...base,
        kind: "idempotency-key",
        headers: {
          ...base.headers,
          "idempotency-key": rng.pick(["k".repeat(256), "with space", "ünïcode", "k".repeat(5000)])
        }
      }
    case 7:
      return {
        ...base,
        kind: "ids-headers",
        headers: {
          ...base.headers,
          "x-request-id": "x".repeat(300),
          "x-correlation-id": "bad id",
          "x-causation-id": "\u00ff"
        }
      }
    case 8:
      return {
        ...base,
        kind: "authorization-junk",
        headers: {
          ...base.headers,
          authorization: rng.pick([
            "Bearer",
            "Bearer ",
            "Basic abc",
            `Bearer ${token}x`,
            "Bearer a.b.c",
            `bearer ${token} extra`,
            "x".repeat(10_000)
          ])
        }
      }
    case 9:
      return contract.http.method === "GET"
        ? {
            ...base,
            kind: "query-junk",
            path: `${path}?${rng.pick(["limit=abc", "limit=1&limit=2", "%ZZ", "a[b]=1", "cursor=%00", "limit=99999999999999999999", "status=%ED%A0%80"])}`
          }
        : rng.next() < 0.1
          ? { ...base, kind: "oversize", body: JSON.stringify({ blob: "x".repeat(1_100_000) }) }
          : { ...base, kind: "array-body", body: JSON.stringify([input, input]) }
    case 10:
      return {
        ...base,
        kind: "duplicate-keys",
        body: contract.http.method === "GET" ? undefined : `{"a":1,"a":2,${JSON.stringify(input).slice(1)}`
      }
    default:
      return {
        ...base,
        kind: "deep-nesting",
        body: contract.http.method === "GET" ? undefined : `{"value":${deep(rng.pick([33, 100, 5000]))}}`
      }
  }
}

const casesFor = (contract: AnyContract, count: number, seed: number) =>
  Effect.gen(function* () {
    const rng = Generated.rng(seed)
    const token = yield* Generated.mint(Generated.admittedPrincipal(contract))
    const inputs = yield* Generated.wireInputs(contract, Math.max(8, Math.floor(count / 8)), seed)
    const pickInput = () => inputs[rng.int(inputs.length)] ?? {}
    const auth = { authorization: `Bearer ${token}` }
    const cases: Array<Generated.RawRequest> = []
    for (let i = 0; i < count; i++) {
      const input = pickInput()
      const roll = rng.next()
      if (roll < 0.25) {
        cases.push(Generated.callOf(contract, "valid", input, auth))
      } else if (roll < 0.7 && input !== null && typeof input === "object" && !Array.isArray(input)) {
        const [name, mutate] = mutations[rng.int(mutations.length)] ?? [
          "extra-field",
          (value: Record<string, Json>) => value
        ]
        cases.push(Generated.callOf(contract, name, mutate({ ...input }, rng), auth))
      } else {
        cases.push(requestMutations(contract, input, token, rng))
      }
    }
    return cases
  })

layer(AppTest.layer(Stack.apps), { excludeTestServices: true })("fuzz", (it) => {
  it.effect(
    `${TOTAL} generated requests over every operation of every mounted app: 0 answers >= 500, problem+json on every error`,
    () =>
      Effect.gen(function* () {
        const contracts = yield* Generated.servedContracts
        assert.isAbove(contracts.length, 0)
        const perOperation = Math.ceil(TOTAL / contracts.length)
        const cases = (yield* Effect.forEach(contracts, (contract, index) =>
          casesFor(contract, perOperation, SEED * 1000 + index)
        )).flat()
        const port = yield* Generated.serverPort
        const sender = Generated.makeSender(port)
        const started = Date.now()
        const responses = yield* Effect.forEach(cases, sender.send, { concurrency: CONCURRENCY })
        sender.close()
        const seconds = (Date.now() - started) / 1000

        const byOperation = new Map<string, Array<Generated.RawResponse>>()
        for (const response of responses) {
          const list = byOperation.get(response.request.operation) ?? []
          list.push(response)
          byOperation.set(response.request.operation, list)
        }
        const lines = [
          `fuzz: ${responses.length} requests over ${contracts.length} operations of ${Stack.apps.map((app) => app.domain).join(", ")} in ${seconds.toFixed(1)} s (seed ${SEED})`,
          `fuzz: statuses ${JSON.stringify(Generated.histogram(responses))}`,
          ...[...byOperation].map(
            ([operation, list]) => `  ${operation.padEnd(40)} ${JSON.stringify(Generated.histogram(list))}`
          )
        ]
        process.stdout.write(`${lines.join("\n")}\n`)

        const serverErrors = responses.filter((response) => response.status >= 500 || response.status === 0)
        const badProblems = responses.flatMap((response) => {
          const defect = Generated.problemDefect(response)
          return defect === undefined
            ? []
            : [
                `${response.request.method} ${response.request.path.slice(0, 80)} (${response.request.kind}) ${response.status}: ${defect}`
              ]
        })
        assert.isAtLeast(responses.length, TOTAL)
        assert.deepStrictEqual(
          serverErrors
            .slice(0, 10)
            .map(
              (response) =>
                `${response.request.operation} ${response.request.kind} ${response.status} ${response.body.slice(0, 200)}`
            ),
          []
        )
        assert.deepStrictEqual(badProblems.slice(0, 10), [])
        // Every operation was reached by requests its policy admits and its decoding accepted or refused.
        for (const contract of contracts) assert.isAtLeast(byOperation.get(contract.key)?.length ?? 0, perOperation)
      }),
    { timeout: 300_000 }
  )
})
