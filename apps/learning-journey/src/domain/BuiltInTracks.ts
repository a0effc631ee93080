/**
 * The tracks every organization can have without writing one. Pure data: `seed.ts` installs them
 * into an organization (`pnpm seed`, and tests), once — installing again changes nothing.
 */
import type { TrackId } from "@tessera/contracts/learning-journey/Shared"
import type { TrackDefinition } from "@tessera/contracts/learning-journey/Tracks"
import { CRM_FIRST_WIN_ID, CrmFirstWin } from "./CrmFirstWin.ts"
import { INTEGRATION_FIRST_SYNC_ID, IntegrationFirstSync } from "./IntegrationFirstSync.ts"
import { SERVICE_FIRST_JOB_ID, ServiceFirstJob } from "./ServiceFirstJob.ts"

export const builtInTracks: ReadonlyArray<{ readonly id: TrackId; readonly definition: TrackDefinition }> = [
  { id: CRM_FIRST_WIN_ID, definition: CrmFirstWin },
  { id: SERVICE_FIRST_JOB_ID, definition: ServiceFirstJob },
  { id: INTEGRATION_FIRST_SYNC_ID, definition: IntegrationFirstSync }
]
