/**
 * The integration hub served in-process on a random port against a fresh database, with the
 * dispatcher's real outbox and, with `workers`, its real consumer and scheduler
 * (`@tessera/test-kit/AppTest`), plus a fake remote REST API on loopback and a fresh file folder.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as NodePath from "node:path"
import type { Principal } from "@tessera/contract-kit/Contract"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import { catalog } from "@tessera/contracts/integration-hub/Catalog"
import * as AppTest from "@tessera/test-kit/AppTest"
import { Effect, Layer, Schedule } from "effect"
import { IntegrationApp } from "../../src/IntegrationApp.ts"
import * as FakeRemote from "./FakeRemote.ts"

export const auth = AppTest.auth
export const IntegrationApi = ContractApi.make("integration", catalog)

/** A fresh folder for file connections, set before any layer reads `TESSERA_INTEGRATION_FILES`. */
export const filesDir = Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "tessera-integration-"))
process.env.TESSERA_INTEGRATION_FILES = filesDir

export const writeFile = (name: string, content: string) => Fs.writeFileSync(NodePath.join(filesDir, name), content)
export const readFile = (name: string) => Fs.readFileSync(NodePath.join(filesDir, name), "utf8")

export const IntegrationTestLayer = Layer.merge(AppTest.layer([IntegrationApp], { workers: true }), FakeRemote.layer)

export const clientAs = (principal: Principal) => AppTest.client(IntegrationApi, principal)

export const storedEvents = AppTest.storedEvents

let orgCounter = 0
/** A fresh organization per test, so tests in a file never see each other's rows. */
export const freshOrg = (prefix = "org") => {
  orgCounter++
  const organizationId = `${prefix}_${orgCounter}`
  return {
    organizationId,
    user: { userId: `user_${orgCounter}`, organizationId, roles: [] } satisfies Principal
  }
}

/** Polls `check` every 50 ms until it answers a value (at most 30 s). */
export const eventually = <A, E, R>(check: Effect.Effect<A | undefined, E, R>) =>
  check.pipe(
    Effect.flatMap((value) => (value === undefined ? Effect.fail("not yet" as const) : Effect.succeed(value))),
    Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 600 }),
    Effect.orDie
  )
