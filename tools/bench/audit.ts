/**
 * Exactly-once audit: compares the correlationIds the backend accepted (2xx to the bench) with
 * the ones each processor stored (simulator's `GET /admin/debug/payments`). docs/CONTRACT.md §6.1–6.2:
 * every accepted payment must be stored once, by one processor.
 *
 * @module
 */

/** Result of {@linkcode auditExactlyOnce}. Sample lists hold at most `sampleSize` ids. */
export interface AuditResult {
  accepted: number;
  stored: { default: number; fallback: number };
  /** Ids present in both processors' stores (paid twice). */
  storedByBoth: number;
  /** Ids listed more than once within one processor's store. */
  storedTwice: number;
  /** Accepted ids stored by no processor (the lag, id by id). */
  acceptedNeverStored: number;
  /** Stored ids the bench never got a 2xx for (e.g. a POST that timed out but went through). */
  storedNotAccepted: number;
  samples: {
    storedByBoth: string[];
    storedTwice: string[];
    acceptedNeverStored: string[];
    storedNotAccepted: string[];
  };
}

/**
 * Pure comparison of id lists.
 * @param accepted ids the backend answered 2xx for
 * @param storedDefault ids the default processor holds (duplicates allowed)
 * @param storedFallback ids the fallback processor holds
 * @param sampleSize most ids kept per sample list (default 20)
 */
export function auditExactlyOnce(
  accepted: Iterable<string>,
  storedDefault: readonly string[],
  storedFallback: readonly string[],
  sampleSize = 20,
): AuditResult {
  const samples: AuditResult["samples"] = {
    storedByBoth: [],
    storedTwice: [],
    acceptedNeverStored: [],
    storedNotAccepted: [],
  };
  const add = (list: string[], id: string) => {
    if (list.length < sampleSize) list.push(id);
  };
  let storedTwice = 0;
  const toSet = (ids: readonly string[]) => {
    const s = new Set<string>();
    for (const id of ids) {
      if (s.has(id)) {
        storedTwice++;
        add(samples.storedTwice, id);
      } else s.add(id);
    }
    return s;
  };
  const d = toSet(storedDefault);
  const f = toSet(storedFallback);
  let storedByBoth = 0;
  for (const id of d) {
    if (f.has(id)) {
      storedByBoth++;
      add(samples.storedByBoth, id);
    }
  }
  const acc = new Set(accepted);
  let acceptedNeverStored = 0;
  for (const id of acc) {
    if (!d.has(id) && !f.has(id)) {
      acceptedNeverStored++;
      add(samples.acceptedNeverStored, id);
    }
  }
  let storedNotAccepted = 0;
  for (const s of [d, f]) {
    for (const id of s) {
      if (!acc.has(id)) {
        storedNotAccepted++;
        add(samples.storedNotAccepted, id);
      }
    }
  }
  return {
    accepted: acc.size,
    stored: { default: storedDefault.length, fallback: storedFallback.length },
    storedByBoth,
    storedTwice,
    acceptedNeverStored,
    storedNotAccepted,
    samples,
  };
}
