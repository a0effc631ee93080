/**
 * A typed client of a catalog's `HttpApi` (`ContractApi.make`): `client[domain][key]({ payload })`
 * answers the decoded output, or fails with the contract's declared errors and the kit's
 * (`Unauthenticated`, `InvalidInput`, …) as typed values. Client-safe: no server code.
 */
import { HttpClient, HttpClientRequest } from "effect/http"
import { type HttpApi, HttpApiClient, type HttpApiGroup } from "effect/http-api"

export interface MakeOptions {
  /** Prepended to every path, e.g. `http://localhost:3000`. */
  readonly baseUrl?: string | URL | undefined
  /** A bearer token sent with every call. */
  readonly token?: string | undefined
}

/** Needs an `HttpClient` (e.g. `FetchHttpClient.layer`, or the one `NodeHttpServer.layerTest` provides). */
export const make = <ApiId extends string, Groups extends HttpApiGroup.Constraint>(
  api: HttpApi.HttpApi<ApiId, Groups>,
  options: MakeOptions = {}
) =>
  HttpApiClient.make(api, {
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
    transformClient: (client) =>
      options.token === undefined ? client : HttpClient.mapRequest(client, HttpClientRequest.bearerToken(options.token))
  })

/** The client type of an api. */
export type Client<Api extends HttpApi.Constraint> = HttpApiClient.ForApi<Api>
