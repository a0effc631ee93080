/**
 * The learning-journey domain's contracts and event definitions: tracks of steps completed by
 * other domains' events, and each learner's progress on them. Subpaths
 * (`@tessera/contracts/learning-journey/Tracks`, …) export the same values one module at a time.
 */
export * as Catalog from "./learning-journey/Catalog.ts"
export * as Conditions from "./learning-journey/Conditions.ts"
export * as Events from "./learning-journey/Events.ts"
export * as Onboarding from "./learning-journey/Onboarding.ts"
export * as Shared from "./learning-journey/Shared.ts"
export * as Tracks from "./learning-journey/Tracks.ts"
