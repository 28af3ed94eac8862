/**
 * What one running pipeline holds in memory: the raw queue entries it took into its processing
 * list and has neither booked nor handed back yet. The rest of that list is orphaned (a lost take
 * reply, a failed hand-back; docs/DESIGN.md "Fetch stage") and the fetch stage releases it
 * (store/queue.ts `releaseOrphans`) when {@link Holdings.resyncWanted}. Bounded by what the
 * pipeline's channels, workers and persist batch hold.
 *
 * @module
 */
export class Holdings {
  readonly #raws = new Set<string>();
  // A new pipeline starts with a resync: its predecessor may have left entries behind.
  #resync = true;

  /** Records entries taken into the processing list. */
  add(raw: string): void {
    this.#raws.add(raw);
  }

  /** Forgets an entry booked or handed back (even when the hand-back failed: it is orphaned). */
  delete(raw: string): void {
    this.#raws.delete(raw);
  }

  /** The entries held now (a live view: read it synchronously). */
  get raws(): ReadonlySet<string> {
    return this.#raws;
  }

  /** Asks the fetch stage to release orphans before its next take (after a Redis fault). */
  requestResync(): void {
    this.#resync = true;
  }

  /** Whether a resync is pending. */
  get resyncWanted(): boolean {
    return this.#resync;
  }

  /** Marks the pending resync done. */
  resynced(): void {
    this.#resync = false;
  }
}
