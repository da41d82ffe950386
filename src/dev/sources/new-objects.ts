/**
 * Which objects of a bucket are new since the last listing, in bounded memory. A bucket can hold
 * millions of objects, so dev does not keep every key it has seen. It keeps a time floor, and the
 * keys (with their ETag and time) of the objects last modified since that floor:
 * - an object last modified before the floor is old;
 * - the floor follows the newest object seen, WINDOW behind it: S3 stamps an object with the time
 *   its upload started, so a slow upload can appear after newer objects, with an older time;
 * - at most MAX_TRACKED keys are kept: past that, the oldest are dropped and the floor rises
 *   above them, so what was dropped still counts as old.
 * Times are S3's own (LastModified), never this machine's clock, so clock skew does not matter.
 */
import type { ListedObject } from './s3-event.js';

export const SETTLE_WINDOW_MS = 15 * 60_000;
export const MAX_TRACKED = 10_000;

interface Seen {
  eTag: string;
  time: number;
}

export class NewObjectTracker {
  private floor = Number.NEGATIVE_INFINITY;
  private readonly tracked = new Map<string, Seen>();
  private pending: ListedObject[] = [];
  private baseline = true;

  constructor(
    private readonly windowMs = SETTLE_WINDOW_MS,
    private readonly maxTracked = MAX_TRACKED,
  ) {}

  /** How many keys are kept now: never more than maxTracked between listings. */
  get size(): number {
    return this.tracked.size;
  }

  /** One object of the listing under way. */
  see(object: ListedObject): void {
    const time = object.lastModified.getTime();
    if (time < this.floor) return;
    const known = this.tracked.get(object.key);
    // The same key with another ETag or time was put again: S3 sends an event for each put.
    if (known && known.eTag === object.eTag && known.time === time) return;
    this.pending.push(object);
  }

  /** A listing that failed half way: what it saw is forgotten, so the next listing sees it again. */
  abandonListing(): void {
    this.pending = [];
  }

  /** The listing is complete: returns its new objects, oldest first (none for the first listing, the baseline). */
  endListing(): ListedObject[] {
    const found = this.pending.sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime());
    this.pending = [];
    for (const object of found) this.tracked.set(object.key, { eTag: object.eTag, time: object.lastModified.getTime() });
    let newest = this.floor;
    for (const seen of this.tracked.values()) newest = Math.max(newest, seen.time);
    this.raiseFloor(newest - this.windowMs);
    if (this.tracked.size > this.maxTracked) {
      const times = [...this.tracked.values()].map((s) => s.time).sort((a, b) => a - b);
      // Drops the oldest, and any that share the time of the last one dropped, so the floor can pass them all.
      this.raiseFloor(times[this.tracked.size - this.maxTracked - 1]! + 1);
    }
    const wasBaseline = this.baseline;
    this.baseline = false;
    return wasBaseline ? [] : found;
  }

  private raiseFloor(floor: number): void {
    if (floor <= this.floor) return;
    this.floor = floor;
    for (const [key, seen] of this.tracked) if (seen.time < floor) this.tracked.delete(key);
  }
}
