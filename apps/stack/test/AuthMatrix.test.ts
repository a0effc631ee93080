/**
 * The auth matrix, generated from the catalog: every operation of every app mounted in
 * `Stack.apps` × {no token, malformed, expired, other secret, `alg: none`, guessed key, other
 * organization, missing role, service principal} → the status its policy (`auth`, `roles`)
 * demands: 401 `UNAUTHENTICATED`, 403 `FORBIDDEN`, or admitted — past authentication and
 * authorization, so any answer but those two (a handler's own 404 or resource-level 403 included),
 * never ≥ 500. Prints the matrix's request count and status histogram.
 */
import { assert, layer } from "@effect/vitest"
import type { AnyContract, Principal } from "@tessera/contract-kit/Contract"
import * as AppTest from "@tessera/test-kit/AppTest"
import { Effect } from "effect"
import * as Stack from "../src/Stack.ts"
import * as Generated from "./support/Generated.ts"

type Expected = 401 | 403 | "admitted"

/** Column labels of the printed table. */
const SHORT: Record<string, string> = {
  "no token": "no-token",
  malformed: "malformed",
  expired: "expired",
  "other secret": "oth-secret",
  "alg none": "alg-none",
  "guessed key": "guess-key",
  "other organization": "other-org",
  "missing role": "no-role",
  "service principal": "service"
}

const codeOf = (body: string): string | undefined => {
  try {
    const parsed: unknown = JSON.parse(body)
    return typeof parsed === "object" && parsed !== null && "code" in parsed && typeof parsed.code === "string"
      ? parsed.code
      : undefined
  } catch {
    return undefined
  }
}

const rolesOk = (contract: AnyContract, principal: Principal) =>
  (contract.policy.roles ?? []).length === 0 ||
  (contract.policy.roles ?? []).some((role) => principal.roles.includes(role))

/** What a valid token of `principal` gets from `contract`'s policy (see `CallAuth`). */
const expectedFor = (contract: AnyContract, principal: Principal): Expected => {
  const { auth } = contract.policy
  const service = principal.kind === "service"
  const admin = !service && principal.roles.includes("admin")
  if (auth === "anonymous") return rolesOk(contract, principal) ? "admitted" : 403
  if (auth === "service") return (service || admin) && rolesOk(contract, principal) ? "admitted" : 403
  if (service) return 403
  if (auth === "admin" && !admin) return 403
  return rolesOk(contract, principal) ? "admitted" : 403
}

/** A user without any role (for `admin` and role-restricted operations, the missing role). */
const roleless: Principal = { userId: "fuzz-roleless", organizationId: Generated.ORG, roles: [] }

const columns = (contract: AnyContract) =>
  Effect.gen(function* () {
    const anonymous = contract.policy.auth === "anonymous"
    const bad: Expected = 401
    return [
      ["no token", undefined, anonymous && (contract.policy.roles ?? []).length === 0 ? "admitted" : 401],
      ["malformed", "Bearer not-a-jwt", bad],
      ["expired", `Bearer ${yield* Generated.expiredToken(Generated.admittedPrincipal(contract))}`, bad],
      ["other secret", `Bearer ${yield* Generated.otherSecretToken(Generated.admittedPrincipal(contract))}`, bad],
      ["alg none", `Bearer ${yield* Generated.algNoneToken(Generated.admittedPrincipal(contract))}`, bad],
      ["guessed key", `Bearer ${yield* Generated.guessedKeyToken(Generated.admittedPrincipal(contract))}`, bad],
      [
        "other organization",
        `Bearer ${yield* Generated.mint(Generated.otherOrgAdmin)}`,
        expectedFor(contract, Generated.otherOrgAdmin)
      ],
      ["missing role", `Bearer ${yield* Generated.mint(roleless)}`, expectedFor(contract, roleless)],
      [
        "service principal",
        `Bearer ${yield* Generated.mint(Generated.service)}`,
        expectedFor(contract, Generated.service)
      ]
    ] as const satisfies ReadonlyArray<readonly [string, string | undefined, Expected]>
  })

layer(AppTest.layer(Stack.apps), { excludeTestServices: true })("auth matrix", (it) => {
  it.effect(
    "every operation of every mounted app × every kind of caller answers what its policy says",
    () =>
      Effect.gen(function* () {
        const contracts = yield* Generated.servedContracts
        assert.isAbove(contracts.length, 0)
        const port = yield* Generated.serverPort
        const sender = Generated.makeSender(port)
        const rows = yield* Effect.forEach(
          contracts,
          (contract) =>
            Effect.gen(function* () {
              const [input] = yield* Generated.wireInputs(contract, 1, 7)
              const cells = yield* columns(contract)
              return yield* Effect.forEach(cells, ([column, authorization, expected]) =>
                Effect.map(
                  sender.send(
                    Generated.callOf(
                      contract,
                      column,
                      input ?? {},
                      authorization === undefined ? {} : { authorization }
                    )
                  ),
                  (response) => ({ contract, column, expected, response })
                )
              )
            }),
          { concurrency: 4 }
        )
        sender.close()
        const cells = rows.flat()
        const responses = cells.map((cell) => cell.response)
        const header = `${"operation".padEnd(36)} ${cells
          .slice(0, 9)
          .map((cell) => (SHORT[cell.column] ?? cell.column).padStart(10))
          .join(" ")}`
        process.stdout.write(
          `${[
            `auth matrix: ${responses.length} requests = ${contracts.length} operations × 9 callers (${Stack.apps.map((app) => app.domain).join(", ")})`,
            `auth matrix: statuses ${JSON.stringify(Generated.histogram(responses))}`,
            header,
            ...rows.map(
              (row) =>
                `${(row[0]?.contract.key ?? "").padEnd(36)} ${row.map((cell) => String(cell.response.status).padStart(10)).join(" ")}`
            )
          ].join("\n")}\n`
        )

        const wrong = cells.flatMap(({ contract, column, expected, response }) => {
          // The policy's refusals are 401 UNAUTHENTICATED and 403 FORBIDDEN; a handler's own 403 (a
          // resource the caller may not touch, such as another learner's progress) comes after admission.
          const code = codeOf(response.body)
          const refused = response.status === 401 || (response.status === 403 && code === "FORBIDDEN")
          const admitted = !refused && response.status < 500 && response.status > 0
          const ok =
            expected === "admitted"
              ? admitted
              : response.status === expected && code === (expected === 401 ? "UNAUTHENTICATED" : "FORBIDDEN")
          const defect = Generated.problemDefect(response)
          return ok && defect === undefined
            ? []
            : [
                `${contract.key} / ${column}: expected ${expected}, got ${response.status} ${defect ?? ""} ${response.body.slice(0, 160)}`
              ]
        })
        assert.deepStrictEqual(wrong, [])
      }),
    { timeout: 120_000 }
  )
})
