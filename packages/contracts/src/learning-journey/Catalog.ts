/**
 * The learning journey's whole catalog, as clients (`ContractApi.make("learning", catalog)`), the
 * docs and the breaking-change snapshot read it.
 */
import { OnboardingCompleted, OnboardingStarted, OnboardingStepCompleted } from "./Events.ts"
import { GetProgress, RecordEvent, SkipStep } from "./Onboarding.ts"
import { CreateTrack, ListTracks } from "./Tracks.ts"

export const catalog = [CreateTrack, ListTracks, GetProgress, RecordEvent, SkipStep] as const

/** The events the learning journey publishes. */
export const events = [OnboardingStarted, OnboardingStepCompleted, OnboardingCompleted] as const
