/**
 * The job lifecycle as a table: which action applies in which status. Pure.
 *
 *     scheduled ──start──▶ in_progress ──complete──▶ completed
 *     scheduled ──complete──▶ completed   (work recorded after the fact)
 *     scheduled | in_progress ──cancel──▶ cancelled
 *     scheduled ──reschedule──▶ scheduled;  scheduled | in_progress ──assign──▶ same status
 */
import type { JobAction, JobStatus } from "@tessera/contracts/service-business/Jobs"

const allowed: Record<JobAction, ReadonlyArray<JobStatus>> = {
  start: ["scheduled"],
  complete: ["scheduled", "in_progress"],
  cancel: ["scheduled", "in_progress"],
  reschedule: ["scheduled"],
  assign: ["scheduled", "in_progress"]
}

export const canApply = (status: JobStatus, action: JobAction): boolean => allowed[action].includes(status)
