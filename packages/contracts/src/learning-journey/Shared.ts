/**
 * Value types every learning-journey contract shares: ids, names, XP, timestamps.
 */
import { Schema } from "effect"

/** Ids are opaque strings of 1 to 64 characters. */
const OpaqueId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64))

/** A track's id, e.g. `track_0194f3…`, or a built-in track's fixed id (`crm-first-win`). */
export const TrackId = OpaqueId.pipe(Schema.brand("TrackId"))
export type TrackId = typeof TrackId.Type

/** A step's id, unique within its track: a slug such as `create-pipeline`. */
export const StepId = Schema.String.check(Schema.isPattern(/^[a-z0-9][a-z0-9_-]{0,63}$/)).pipe(
  Schema.annotate({ description: "Step slug, unique within its track: lower-case letters, digits, - and _" })
)
export type StepId = typeof StepId.Type

/** The learner: a user of the organization (the `sub` of their token, the actor of their events). */
export const LearnerId = OpaqueId.annotate({ description: "A user of the caller's organization" })

/** A badge's key, e.g. `crm-first-win`. */
export const BadgeKey = Schema.String.check(Schema.isPattern(/^[a-z0-9][a-z0-9_-]{0,63}$/)).pipe(
  Schema.annotate({ description: "Badge key: lower-case letters, digits, - and _" })
)

export const Name = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))
export const Text = Schema.String.check(Schema.isMaxLength(4000))

/** Experience points: a non-negative integer. */
export const Xp = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100_000 }))

/** A learner's XP on a track: the sum of step XP and bonuses. */
export const TotalXp = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** An instant as an ISO 8601 UTC string, e.g. `2025-01-21T09:00:00.000Z`. */
export const Timestamp = Schema.String.check(
  Schema.isPattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/)
).pipe(Schema.annotate({ description: "ISO 8601 UTC timestamp" }))

/** A calendar day (UTC), `YYYY-MM-DD`. */
export const Day = Schema.String.check(Schema.isPattern(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/)).pipe(
  Schema.annotate({ description: "Calendar day (UTC), YYYY-MM-DD" })
)

export const owners = ["@tessera.learning"]
