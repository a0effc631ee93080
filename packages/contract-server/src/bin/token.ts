/**
 * Mints a development bearer token:
 *
 *   pnpm --filter @tessera/contract-server dev-token --user alice --org acme --roles admin,sales [--hours 12]
 *   pnpm --filter @tessera/contract-server dev-token --service crm-intake --org acme
 *
 * `--service <name>` mints a service principal's token (`sub` = the name, `kind: "service"`): what
 * operations with `auth: "service"` require.
 * Signed with TESSERA_AUTH_SECRET, or the public development secret when it is unset. Refused
 * when TESSERA_ENV=production: production tokens come from a real identity provider.
 */
import { parseArgs } from "node:util"
import { Duration, Effect, Exit } from "effect"
import { mintDevToken } from "../Auth.ts"

const { values } = parseArgs({
  options: {
    user: { type: "string", default: "dev-user" },
    service: { type: "string" },
    org: { type: "string", default: "dev-org" },
    roles: { type: "string", default: "" },
    hours: { type: "string", default: "12" }
  }
})

const program = mintDevToken(
  {
    userId: values.service ?? values.user,
    organizationId: values.org,
    ...(values.service === undefined ? {} : { kind: "service" as const }),
    roles: values.roles
      .split(",")
      .map((role) => role.trim())
      .filter((role) => role !== "")
  },
  { expiresIn: Duration.hours(Number(values.hours) > 0 ? Number(values.hours) : 12) }
)

const exit = await Effect.runPromiseExit(program)
if (Exit.isSuccess(exit)) {
  process.stdout.write(`${exit.value}\n`)
} else {
  const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
  process.stderr.write(`${failure?._tag === "Fail" ? failure.error.message : "Could not mint a token"}\n`)
  process.exitCode = 1
}
