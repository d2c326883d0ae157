import { SlotPool } from './slots';

/** uids reserved per process: concurrent runs of one process never share a uid. */
export const UIDS_PER_PROCESS = 256;
// Linux pid_max is at most 2^22; keeping pid * 256 under 2^30 keeps every uid below 2^31.
const PID_SPAN = 4_194_304;

// One pool for the whole process, shared by every Sandbox, so two sandboxes never hand out the same uid.
const pool = new SlotPool(UIDS_PER_PROCESS);

/**
 * The uid of one slot. Each process owns a disjoint block (its pid picks the block), so runs of
 * parallel evalgraph processes (e.g. Nx tasks) never share a uid, its RLIMIT_NPROC count or the reaper.
 */
export function slotUid(uidBase: number, slot: number, pid = process.pid): number {
  return uidBase + (pid % PID_SPAN) * UIDS_PER_PROCESS + slot;
}

/** Takes a free uid slot of this process (waits when all are in use). */
export function acquireUidSlot(): Promise<number> {
  return pool.acquire();
}

/** Returns a uid slot. */
export function releaseUidSlot(slot: number): void {
  pool.release(slot);
}
