/**
 * The learning journey served in-process on a random port against a fresh database, with the
 * dispatcher's real outbox and Tessera's registry (`@tessera/test-kit/AppTest`): what the tests
 * and the acceptance examples call through the derived client. `WithServices` adds the app's
 * services (`Progression`, the repositories) for tests that drive them directly.
 */
import type { Principal } from "@tessera/contract-kit/Contract"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import { catalog } from "@tessera/contracts/learning-journey/Catalog"
import * as AppTest from "@tessera/test-kit/AppTest"
import { Layer } from "effect"
import * as LearningApp from "../../src/LearningApp.ts"

export const auth = AppTest.auth
export const LearningApi = ContractApi.make("learning", catalog)

export const LearningTestLayer = AppTest.layer([LearningApp.LearningApp])

/** The app with its services at hand, for tests of `Progression` and the consumer's handler. */
export const WithServices = LearningApp.services.pipe(Layer.provideMerge(LearningTestLayer))

/** A client calling as `principal`. */
export const clientAs = (principal: Principal) => AppTest.client(LearningApi, principal)

export type { StoredEvent } from "@tessera/test-kit/AppTest"

/** The events the dispatcher stored for an organization, in publish order. */
export const storedEvents = AppTest.storedEvents
