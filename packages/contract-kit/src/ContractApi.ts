/**
 * The HTTP surface of a catalog, as an Effect `HttpApi` (one group per domain, one endpoint per
 * contract, `operationId` = contract key). Servers implement it (`ContractServer`); clients derive
 * from it (`ContractClient`). Client-safe: no server, database or JWT code.
 */
import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import type { AnyContract, Contract } from "./Contract.ts"
import { type KitError, kitErrors } from "./ContractError.ts"

/** The header carrying an idempotency key (sent lower-case by the derived client). */
export const IDEMPOTENCY_HEADER = "idempotency-key"

export const IdempotencyHeaders = Schema.Struct({
  [IDEMPOTENCY_HEADER]: Schema.optional(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(255)))
})

type KitErrorSchema = (typeof kitErrors)[number]

type HeadersOf<C extends AnyContract> = C["idempotent"] extends true
  ? Schema.toCodecStringTree<typeof IdempotencyHeaders>
  : never

/** The endpoint a contract becomes. Mirrors what `HttpApiEndpoint.make` infers for it. */
export type EndpointOf<C extends AnyContract> = C extends Contract
  ? HttpApiEndpoint.HttpApiEndpoint<
      C["key"],
      C["http"]["method"],
      C["http"]["path"],
      never,
      never,
      C["http"]["method"] extends "GET" ? Schema.toCodecStringTree<C["input"]> : Schema.toCodecJson<C["input"]>,
      HeadersOf<C>,
      Schema.toCodecJson<C["output"]>,
      Schema.toCodecJson<C["errors"][number] | KitErrorSchema>
    >
  : never

export type ContractGroup<Domain extends string, C extends AnyContract> = HttpApiGroup.HttpApiGroup<
  Domain,
  EndpointOf<C>
>

export type ContractHttpApi<Domain extends string, C extends AnyContract> = HttpApi.HttpApi<
  Domain,
  ContractGroup<Domain, C>
>

/** Errors as `application/problem+json`, the content type the server answers them with. */
const asProblem = <S extends Schema.Top>(schema: S) =>
  schema.pipe(HttpApiSchema.asJson({ contentType: "application/problem+json" }))

const describe = (contract: AnyContract): string =>
  [
    contract.meta.description,
    "",
    `**Goal:** ${contract.meta.goal}`,
    "",
    `**Context:** ${contract.meta.context}`,
    "",
    `**Version:** ${contract.version} (${contract.meta.stability}) · **Kind:** ${contract.kind} · **Auth:** ${contract.policy.auth}${
      contract.policy.roles?.length ? ` (roles: ${contract.policy.roles.join(", ")})` : ""
    }`
  ].join("\n")

type OpenApiOperation = Record<string, unknown> & {
  readonly requestBody?: { readonly content?: Record<string, Record<string, unknown>> }
  readonly responses?: Record<string, { content?: Record<string, Record<string, unknown>> }>
}

/** Adds the bearer requirement and the contract's examples to the generated operation. */
const operationTransform =
  (contract: AnyContract) =>
  (operation: Record<string, unknown>): Record<string, unknown> => {
    const op: OpenApiOperation = { ...operation }
    const examples = contract.acceptance.examples
    const requestJson = op.requestBody?.content?.["application/json"]
    if (requestJson !== undefined && examples.length > 0 && contract.http.method !== "GET") {
      requestJson.examples = Object.fromEntries(
        examples.map((example) => [example.key, { summary: example.description ?? example.key, value: example.input }])
      )
    }
    const successJson = op.responses?.["200"]?.content?.["application/json"]
    if (successJson !== undefined && examples.length > 0) {
      successJson.examples = Object.fromEntries(
        examples.map((example) => [example.key, { summary: example.description ?? example.key, value: example.output }])
      )
    }
    return {
      ...op,
      security: contract.policy.auth === "anonymous" ? [{}, { bearer: [] }] : [{ bearer: [] }],
      "x-contract": {
        key: contract.key,
        version: contract.version,
        kind: contract.kind,
        stability: contract.meta.stability,
        owners: contract.meta.owners,
        idempotent: contract.idempotent
      }
    }
  }

/** One contract's endpoint. */
export const endpoint = <C extends AnyContract>(contract: C): EndpointOf<C> => {
  const errors: ReadonlyArray<Schema.Top> = [...contract.errors, ...kitErrors].map(asProblem)
  const built = HttpApiEndpoint.make(contract.http.method)(contract.key, contract.http.path, {
    payload: contract.input,
    success: contract.output,
    error: errors,
    ...(contract.idempotent ? { headers: IdempotencyHeaders } : {})
  }).annotateMerge(
    OpenApi.annotations({
      identifier: contract.key,
      summary: contract.meta.description,
      description: describe(contract),
      deprecated: contract.meta.stability === "deprecated",
      transform: operationTransform(contract)
    })
  )
  // `HttpApiEndpoint.make` infers this very type from the same arguments, but only for concrete
  // schemas; for a generic contract the compiler cannot follow it, so it is restated here.
  return built as unknown as EndpointOf<C>
}

export interface MakeOptions {
  readonly title?: string | undefined
  readonly version?: string | undefined
  readonly description?: string | undefined
}

/**
 * The `HttpApi` of one domain's catalog. Define it once per domain (module-level constant) and
 * share it between the server and its clients.
 */
export const make = <const Domain extends string, const Contracts extends ReadonlyArray<AnyContract>>(
  domain: Domain,
  contracts: Contracts,
  options: MakeOptions = {}
): ContractHttpApi<Domain, Contracts[number]> => {
  const [first, ...rest] = contracts.map(endpoint)
  const group = first === undefined ? HttpApiGroup.make(domain) : HttpApiGroup.make(domain).add(first, ...rest)
  const api = HttpApi.make(domain)
    .add(group)
    .annotateMerge(
      OpenApi.annotations({
        title: options.title ?? `Tessera ${domain} API`,
        version: options.version ?? "1.0.0",
        description:
          options.description ??
          `Operations of the ${domain} domain. Every endpoint is one contract; operationId is the contract key.`,
        transform: (spec) => ({
          ...spec,
          components: {
            ...spec.components,
            securitySchemes: {
              ...spec.components?.securitySchemes,
              bearer: {
                type: "http",
                scheme: "bearer",
                bearerFormat: "JWT",
                description: "HS256 JWT: sub = user id, org = organization id, roles = string[]"
              }
            }
          }
        })
      })
    )
  // As in `endpoint`: the group holds exactly `EndpointOf` each contract.
  return api as unknown as ContractHttpApi<Domain, Contracts[number]>
}

export type { KitError }
