/**
 * The learning journey as layers: its migrations, its services (what the dispatcher consumer of
 * the CRM's events needs: `Progression`), and its routes (the five contracts on the app's
 * `HttpRouter`). A process mounts `migrations` before `routes`; the stack merges these with the
 * other apps' and the dispatcher's.
 *
 * The routes need, from the process: `SqlClient`, `Auth` and an `EventSink` (the dispatcher's
 * outbox, or the contract kit's table sink in tests).
 */
import * as ContractServer from "@tessera/contract-kit/ContractServer"
import {
  OnboardingCompleted,
  OnboardingStarted,
  OnboardingStepCompleted
} from "@tessera/contracts/learning-journey/Events"
import * as Migrations from "@tessera/database/Migrations"
import { EventIds } from "@tessera/envelope/EventIds"
import { Layer } from "effect"
import { getProgress, recordEvent, skipStep } from "./handlers/OnboardingHandlers.ts"
import { createTrack, listTracks } from "./handlers/TrackHandlers.ts"
import { LearningMigrations } from "./LearningMigrations.ts"
import { Progression } from "./Progression.ts"
import { LearnerEventRepository } from "./repositories/LearnerEventRepository.ts"
import { ProgressRepository } from "./repositories/ProgressRepository.ts"
import { TrackRepository } from "./repositories/TrackRepository.ts"

export const DOMAIN = "learning"

/** The events this app publishes. */
export const events = [OnboardingStarted, OnboardingStepCompleted, OnboardingCompleted] as const

export const catalog = [createTrack, listTracks, getProgress, recordEvent, skipStep] as const

/** Runs the `learning` schema's migrations when built. */
export const migrations = Migrations.layer(LearningMigrations)

/** Repositories, `Progression` and ids: everything the handlers and the consumer use. Needs a `SqlClient`. */
export const services = Progression.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(TrackRepository.layer, ProgressRepository.layer, LearnerEventRepository.layer)),
  Layer.provideMerge(EventIds.layer)
)

/**
 * The five contracts served on the `HttpRouter`, with the app's OpenAPI document and docs page
 * under its own prefix, so several apps can share one router.
 */
export const routes = ContractServer.layer({
  domain: DOMAIN,
  catalog,
  events,
  openapiPath: "/learning/openapi.json",
  docsPath: "/learning/docs"
}).pipe(Layer.provide(services))
