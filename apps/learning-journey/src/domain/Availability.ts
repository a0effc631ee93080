/**
 * Step statuses from prerequisites: a step is `available` once each of its prerequisites is
 * completed or skipped, `blocked` before. Pure.
 */
import type { StepStatus } from "@tessera/contracts/learning-journey/Onboarding"
import type { Step } from "@tessera/contracts/learning-journey/Tracks"

/** What a learner did with a step: completed it (by an event) or skipped it. */
export interface Mark {
  readonly status: "completed" | "skipped"
  readonly at: Date
}

export type Marks = Readonly<Record<string, Mark>>

type StepLike = Pick<Step, "id" | "prerequisites">

export const isDone = (marks: Marks, stepId: string): boolean => Object.hasOwn(marks, stepId)

export const statusOf = (step: StepLike, marks: Marks): StepStatus => {
  const mark = isDone(marks, step.id) ? marks[step.id] : undefined
  if (mark !== undefined) return mark.status
  return step.prerequisites.every((prerequisite) => isDone(marks, prerequisite)) ? "available" : "blocked"
}

/** Each step's status, in the track's order. */
export const availability = (
  steps: ReadonlyArray<StepLike>,
  marks: Marks
): ReadonlyArray<{ readonly stepId: string; readonly status: StepStatus; readonly doneAt: Date | null }> =>
  steps.map((step) => ({
    stepId: step.id,
    status: statusOf(step, marks),
    doneAt: (isDone(marks, step.id) ? marks[step.id]?.at : undefined) ?? null
  }))

/** A track is complete when every step is completed or skipped. */
export const isComplete = (steps: ReadonlyArray<StepLike>, marks: Marks): boolean =>
  steps.every((step) => isDone(marks, step.id))
