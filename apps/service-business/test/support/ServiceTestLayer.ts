/**
 * The service business served in-process on a random port against a fresh database, with the
 * dispatcher's real outbox and Tessera's registry (`@tessera/test-kit/AppTest`): what the tests
 * and the acceptance examples call through the derived client.
 */
import type { Principal } from "@tessera/contract-kit/Contract"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import { catalog } from "@tessera/contracts/service-business/Catalog"
import * as AppTest from "@tessera/test-kit/AppTest"
import { ServiceApp } from "../../src/ServiceApp.ts"

export const auth = AppTest.auth
export const ServiceApi = ContractApi.make("service", catalog)

export const ServiceTestLayer = AppTest.layer([ServiceApp])

/** A client calling as `principal`. */
export const clientAs = (principal: Principal) => AppTest.client(ServiceApi, principal)

export type { StoredEvent } from "@tessera/test-kit/AppTest"

/** The events the dispatcher stored for an organization, in publish order. */
export const storedEvents = AppTest.storedEvents
