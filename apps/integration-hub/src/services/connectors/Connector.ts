/**
 * What the engine asks of a connector: read a page of records from a position, write a page of
 * mapped records (upserts keyed by external id), check that the remote side answers. Positions
 * and target states are opaque strings the engine checkpoints per page, so a run resumes where
 * its last committed page ended.
 */
import type { Effect } from "effect"
import { Data } from "effect"
import type { MappedRecord, SourceRecord } from "../../domain/Mapping.ts"

/**
 * The remote failed: unreachable, an error status, an unreadable file. `message` is a summary
 * safe to show and store (a method, a path, a status or an error code: never a credential).
 */
export class RemoteError extends Data.TaggedError("RemoteError")<{
  readonly message: string
  /** Worth retrying (timeouts, 429, 5xx); otherwise the run fails at once. */
  readonly retryable: boolean
}> {}

/** One item of a page: a record, or a line or item that is not one (it fails alone). */
export type Item =
  | { readonly _tag: "Record"; readonly record: SourceRecord }
  | { readonly _tag: "Malformed"; readonly message: string }

export interface Page {
  readonly items: ReadonlyArray<Item>
  /** Where the next page starts; null when this was the last page. */
  readonly next: string | null
}

export interface Source {
  /** The page of at most `size` items starting at `position` (null: the beginning). */
  readonly readPage: (position: string | null, size: number) => Effect.Effect<Page, RemoteError>
}

export interface OutRecord {
  readonly externalId: string
  readonly fields: MappedRecord
  readonly checksum: string
}

export interface WriteResult {
  /** Records the target refused one by one (the others are written). */
  readonly failures: ReadonlyArray<{ readonly externalId: string; readonly message: string }>
  /** The target's state after this page (a file's length), checkpointed with the page. */
  readonly state: string | null
}

export interface Target {
  /**
   * Upserts `records` keyed by external id. `state` is the checkpointed state of the run's last
   * committed page (null on the first page): a file target cuts off whatever a crashed attempt
   * wrote after it, so a page is never written twice.
   */
  readonly write: (records: ReadonlyArray<OutRecord>, state: string | null) => Effect.Effect<WriteResult, RemoteError>
}

export interface Health {
  readonly ok: boolean
  readonly message: string
}
