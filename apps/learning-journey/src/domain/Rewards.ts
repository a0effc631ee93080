/**
 * XP, the completion bonus and badges. Pure, and derived from what the learner did (marks and
 * longest streak) rather than accumulated: recomputing never double-counts.
 */
import type { Track } from "@tessera/contracts/learning-journey/Tracks"
import { isComplete, type Marks } from "./Availability.ts"

type Rewarding = Pick<Track, "steps" | "completion" | "streak">

/** XP of the completed steps (skipped steps earn none). */
export const stepXp = (track: Pick<Track, "steps">, marks: Marks): number =>
  track.steps.reduce((sum, step) => (marks[step.id]?.status === "completed" ? sum + step.xp : sum), 0)

/** The track's completion bonus, once every step is completed or skipped. */
export const completionBonus = (track: Pick<Track, "steps" | "completion">, marks: Marks): number =>
  isComplete(track.steps, marks) ? track.completion.xpBonus : 0

/** Whether the learner's longest streak reached the track's streak rule. */
export const streakEarned = (track: Pick<Track, "streak">, longestStreak: number): boolean =>
  track.streak !== null && longestStreak >= track.streak.days

export const streakBonus = (track: Pick<Track, "streak">, longestStreak: number): number =>
  track.streak !== null && streakEarned(track, longestStreak) ? track.streak.xpBonus : 0

/** The learner's XP on the track. */
export const xpOf = (track: Rewarding, marks: Marks, longestStreak: number): number =>
  stepXp(track, marks) + completionBonus(track, marks) + streakBonus(track, longestStreak)

/** The badges earned on the track: the completion badge, then the streak badge (no duplicates). */
export const badgesOf = (track: Rewarding, marks: Marks, longestStreak: number): ReadonlyArray<string> => {
  const badges: Array<string> = []
  if (track.completion.badge !== null && isComplete(track.steps, marks)) badges.push(track.completion.badge)
  const streakBadge = track.streak === null ? null : track.streak.badge
  if (streakBadge !== null && streakEarned(track, longestStreak) && !badges.includes(streakBadge))
    badges.push(streakBadge)
  return badges
}
