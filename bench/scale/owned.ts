/**
 * The owner rows of the scale case: `listOwned` and `deleteOwned` of one owner with 10
 * sessions, in the 1k population and in the large one, interleaved over rounds like the reads.
 * The sessions are created through the store before the lists and again before each revoke,
 * untimed, under fresh keys each time: a revoked key may keep a tombstone that refuses a bind.
 *
 * @packageDocumentation
 */

import type {
  FieldWrite,
  OwnedSessionStore,
  SessionStore,
  WriteOptions,
} from '../../src/core/store-contract.ts';

/** The measured owner's sessions. */
export const OWNED_SESSIONS = 10;
/** Nothing else in either population is bound to it. */
const OWNER = 'bench-measured-owner';

type OwnedStore = SessionStore & OwnedSessionStore;

/** Latencies in µs, one array per round. */
export interface TierRounds {
  small: number[][];
  large: number[][];
}

export interface OwnedTimes {
  list: TierRounds;
  revoke: TierRounds;
}

export interface OwnedPlan {
  readonly small: OwnedStore;
  readonly large: OwnedStore;
  /** What each session holds, and how it is written (the owner is added). */
  readonly fields: readonly FieldWrite[];
  readonly write: Omit<WriteOptions, 'owner'>;
  /** The fields a list asks for. */
  readonly listFields: readonly string[];
  /** The store key of the n-th session created; each is used once. */
  readonly keyFor: (n: number) => string;
  readonly rounds: number;
  readonly listsPerRound: number;
  readonly revokesPerRound: number;
}

const micros = (start: bigint) => Number(process.hrtime.bigint() - start) / 1000;

/** Times lists and revokes of the measured owner, alternating small and large each round. */
export async function timeOwned(plan: OwnedPlan): Promise<OwnedTimes> {
  let created = 0;
  const create = async (store: OwnedStore) => {
    const options = { ...plan.write, owner: OWNER };
    const made = await Promise.all(
      Array.from({ length: OWNED_SESSIONS }, () =>
        store.setMany(plan.keyFor(++created), plan.fields, options),
      ),
    );
    if (made.includes(null)) throw new Error('a session of the measured owner was not created');
  };
  const round = async (store: OwnedStore) => {
    const list: number[] = [];
    const revoke: number[] = [];
    await create(store);
    for (let i = 0; i < plan.listsPerRound; i++) {
      const start = process.hrtime.bigint();
      const listed = await store.listOwned(OWNER, plan.listFields);
      list.push(micros(start));
      if (listed.length !== OWNED_SESSIONS || listed.some((s) => s.fields.size === 0)) {
        throw new Error(`listOwned found ${listed.length} of ${OWNED_SESSIONS} sessions`);
      }
    }
    for (let i = 0; i < plan.revokesPerRound; i++) {
      // The lists' sessions are the first revoke's.
      if (i > 0) await create(store);
      const start = process.hrtime.bigint();
      const deleted = await store.deleteOwned(OWNER);
      revoke.push(micros(start));
      if (deleted.length !== OWNED_SESSIONS) {
        throw new Error(`deleteOwned ended ${deleted.length} of ${OWNED_SESSIONS} sessions`);
      }
    }
    return { list, revoke };
  };
  // Warm-up: scripts, prepared statements, the index pages on the owner's path.
  await round(plan.small);
  await round(plan.large);
  const out: OwnedTimes = {
    list: { small: [], large: [] },
    revoke: { small: [], large: [] },
  };
  for (let r = 0; r < plan.rounds; r++) {
    for (const tier of ['small', 'large'] as const) {
      const { list, revoke } = await round(plan[tier]);
      out.list[tier].push(list);
      out.revoke[tier].push(revoke);
    }
  }
  return out;
}
