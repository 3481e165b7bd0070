/**
 * Every statement {@link PostgresStore} runs, rendered once per store for its tables.
 *
 * ## Time
 * All expiry arithmetic happens in SQL against `now()`, the start of the current transaction.
 * Every comparison and every TTL one call reports therefore uses the same instant, even across
 * the statements of `rename` or `setIfAbsent`; `clock_timestamp()` would let a liveness check
 * and the TTL reported beside it disagree. Remaining TTLs are rounded up to whole milliseconds,
 * so a live session never reports 0 and a fresh one reports exactly what was asked.
 *
 * ## Layout
 * A session row has a `bigint` id, which its field rows refer to: the 52-character key appears
 * once, in the session row and its unique index, instead of in every field row and in the
 * fields' primary key, which keeps that index (and the pages a read touches) small with
 * millions of sessions. Callers only ever name the key; ids never leave SQL.
 *
 * `sessions.expires_at` is the session's end with the deadline already applied (`NULL`: never),
 * so liveness is one indexed column. The deadline only ever falls, so the idle expiry it hides
 * could never matter again. A field's `expires_at` is its own TTL (`NULL`: lives as long as
 * its session).
 *
 * Liveness is tested as `coalesce(expires_at, 'infinity') > now()`, which no index can serve:
 * the `expires_at` indexes are for sweeping, and a planner without statistics would otherwise
 * combine them with the primary key and scan every `NULL` entry on each read.
 *
 * ## Counters
 * `sessions.field_count` and `field_bytes` are an upper bound of the session's live fields (a
 * field counts its name's and its value's bytes; `NULL`: not known, as in rows from before
 * them), so the limits are checked on the row that every growing write locks anyway. A write
 * adds its fields in full, whatever they replace, and only an exact recount ever lowers them:
 * no snapshot, however old, can make them undercount. A write they would refuse is decided
 * again by `writeExact`, after the lock, from the fields themselves.
 *
 * ## Owners
 * `sessions.owner` binds a session to a user (`NULL`: none), indexed for "sign out everywhere".
 * A rename moves a session to a new row, which a `DELETE ... WHERE owner = $1` whose snapshot
 * predates it would never see: it would find the source row gone and miss the new one. So
 * `deleteOwned` holds the owner's transaction-scoped advisory lock exclusively while it deletes,
 * and a rename of an owned session takes it shared before it moves anything and keeps it until
 * it commits; the delete takes its snapshot only once it has the lock, so it sees every move
 * that began before it, and none begins during it. A rename never waits for that lock while it
 * holds a row lock (it tries, and on failure starts again, waiting first), so the two cannot
 * deadlock. `last_active_at` is set by the statements
 * that update the session row anyway: every write and every extension.
 *
 * ## Parameters of a field batch
 * `$1` key, `$2` names `text[]`, `$3` every value concatenated into one `bytea`, `$4` 1-based
 * start offsets `int[]`, `$5` lengths `int[]`, `$6` own TTLs `float8[]` (0: none), `$7` names to
 * drop `text[]` (written with a TTL of zero or less), `$8` how far to extend the session in ms
 * (`NULL`: make it persistent), `$9` most fields and `$10` most bytes (`NULL`: no limit), `$11`
 * its absolute lifetime in ms when created (`NULL`: none), `$12` write only if no field of the
 * batch is live, `$13` the owner to bind a session the write creates to (`$12` in `create`, which
 * has no such test). One `bytea` with offsets travels through every driver, where a `bytea[]` would
 * not.
 *
 * @packageDocumentation
 */

import type { PostgresTables } from './postgres-tables.ts';

const MS = "interval '1 millisecond'";

function live(alias: string): string {
  return `coalesce(${alias}.expires_at, 'infinity') > now()`;
}

/** Milliseconds from now until `at`, rounded up; `NULL` stays `NULL`. */
function remaining(at: string): string {
  return `ceil(extract(epoch FROM (${at}) - now()) * 1000)::float8`;
}

/** `at` as epoch milliseconds, rounded down; `NULL` stays `NULL`. */
function epochMs(at: string): string {
  return `floor(extract(epoch FROM ${at}) * 1000)::float8`;
}

function after(ms: string): string {
  return `now() + ${ms}::float8 * ${MS}`;
}

/** A live session's end after a write: longer only, never past the deadline. */
function extended(alias: string, extendMs: string): string {
  return `CASE WHEN ${extendMs}::float8 IS NULL THEN ${alias}.deadline
      WHEN ${alias}.expires_at IS NULL THEN NULL
      ELSE least(greatest(${alias}.expires_at, ${after(extendMs)}), ${alias}.deadline) END`;
}

/** A new session's end, given its extension and absolute lifetime. */
function fresh(extendMs: string, absoluteMs: string): string {
  return `CASE WHEN ${extendMs}::float8 IS NULL THEN ${after(absoluteMs)}
      ELSE least(${after(extendMs)}, ${after(absoluteMs)}) END`;
}

/**
 * Whether growing the counters `fields` and `bytes` by `count` and `bytes` keeps within the
 * limits `$9` and `$10` (or the parameters given; `NULL`: none). A count the write does not grow
 * is never refused; unknown (`NULL`) counters refuse the rest.
 */
function fits(
  [fields, bytes]: [string, string],
  [count, size]: [string, string],
  maxFields = '$9',
  maxBytes = '$10',
): string {
  return `(${maxFields}::int8 IS NULL OR ${count} = 0 OR ${fields} + ${count} <= ${maxFields}::int8)
      AND (${maxBytes}::int8 IS NULL OR ${size} = 0 OR ${bytes} + ${size} <= ${maxBytes}::int8)`;
}

/**
 * The owner's advisory lock key, per table so that stores on other tables never wait on it. A
 * collision of two owners' hashes only makes them wait for each other.
 */
function ownerLock(sessions: string, owner: string): string {
  return `hashtextextended('ruts owner ${sessions} ' || ${owner}, 0)`;
}

/** The counters of the session row `alias`, for {@link fits}. */
function counters(alias: string): [string, string] {
  return [`${alias}.field_count`, `${alias}.field_bytes`];
}

/** Every statement of one store, as fixed text: the pg executor prepares each once. */
export interface PostgresStatements {
  /**
   * `$1` key. One row for the session (`name` NULL) with `created_ms`, `ttl_ms`,
   * `max_ttl_ms` and `owner`, then one per live field with `name`, `value` and
   * `ttl_ms` (NULL: none).
   */
  readonly getAll: string;
  /**
   * Field batch `$1..$11`, `$12` the owner: upserts the session, binding a session it creates to
   * the owner, then its fields. One row: `written` (false when the counters refused it) and
   * `ttl_ms`.
   */
  readonly create: string;
  /**
   * Field batch `$1..$10`: writes only to a live session. One row: `written` (false when the
   * session is missing or the counters refused it) and `ttl_ms`.
   */
  readonly update: string;
  /**
   * `$1` key, `$2` name, `$3` value, `$4` own TTL (`NULL`: none), `$5` extension, `$6` most
   * fields, `$7` most bytes: the common write of one field to a live session, without a batch's
   * arrays. One row as for {@link update}.
   */
  readonly updateOne: string;
  /** `$1` key: takes the session row lock, inserting a dead placeholder if there is none. */
  readonly claimSession: string;
  /** `$1` key: takes the lock of a live session, or returns no row. */
  readonly lockSession: string;
  /**
   * Field batch `$1..$13`, after claimSession or lockSession: decides the limits from the fields
   * themselves, then writes and sets the counters exactly. One row: `written`, `refused` (the
   * limit the write would pass, else NULL) and `ttl_ms`.
   */
  readonly writeExact: string;
  readonly remove: string;
  readonly take: string;
  readonly delete: string;
  /**
   * `$1` from, `$2` to, `$3` extension, `$4` owner (`NULL`: the source's): locks the source and
   * tries its owner's lock shared, then claims the target. One row: `found`, `contended` (the
   * owner's lock was taken: nothing changed, wait with lockSourceOwner and try again),
   * `claimed` and `ttl_ms`.
   */
  readonly renameClaim: string;
  /** `$1` from: waits for the owner's lock, shared, of the live session at `$1`, if owned. */
  readonly lockSourceOwner: string;
  /** `$1` from, `$2` to: moves the live fields, counts them into the target, deletes the source. */
  readonly renameMove: string;
  readonly extend: string;
  readonly persist: string;
  /**
   * `$1` owner, `$2` field names: one row per live session of the owner (`name` NULL) with `key`,
   * `created_ms`, `ttl_ms` and `active_ms`, and one per live field among `$2` with `key`, `name`,
   * `value` and `ttl_ms`.
   */
  readonly listOwned: string;
  /** `$1` owner: takes the owner's lock exclusively, for the transaction. */
  readonly lockOwner: string;
  /** `$1` owner, `$2` key to keep: deletes the owner's sessions, returning `key` and `live`. */
  readonly deleteOwned: string;
  readonly end: string;
  readonly endNow: string;
  readonly sweepSessions: string;
  readonly sweepFields: string;
}

/** Renders every statement for one pair of tables. */
export function buildStatements(tables: PostgresTables): PostgresStatements {
  const S = tables.sessions;
  const F = tables.fields;

  /** Upserts the batch's fields into the session `source` yields as `sess.id`. */
  const upsertFields = (
    source: string,
  ) => `INSERT INTO ${F} AS f (session_id, name, value, expires_at)
    SELECT sess.id, w.name, substring($3::bytea FROM w.start FOR w.len),
      CASE WHEN w.ttl > 0 THEN ${after('w.ttl')} END
    FROM ${source} AS sess, unnest($2::text[], $4::int[], $5::int[], $6::float8[]) AS w(name, start, len, ttl)
    ON CONFLICT (session_id, name)
    DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`;

  /** What a batch adds to the counters: every field in full, whatever it replaces. */
  const batchCount = 'cardinality($2::text[])';
  const batchBytes = `(SELECT coalesce(sum(octet_length(w.name) + w.len), 0)
        FROM unnest($2::text[], $5::int[]) AS w(name, len))`;

  /** Extends the live session `$1` and grows its counters, within the limits. */
  const extendLive = (
    extendMs: string,
    maxFields: string,
    maxBytes: string,
    count: string,
    bytes: string,
  ) =>
    // The WHERE is evaluated again on the latest row version once its lock is granted, so
    // racing writers are checked against each other's counters.
    `sess AS (
        UPDATE ${S} AS s SET expires_at = ${extended('s', extendMs)},
          field_count = s.field_count + ${count}, field_bytes = s.field_bytes + ${bytes},
          last_active_at = now()
        WHERE s.key = $1 AND ${live('s')}
          AND ${fits(counters('s'), [count, bytes], maxFields, maxBytes)}
        RETURNING s.id, s.expires_at
      )`;

  /** A live field's own TTL, capped at its session's; `NULL` when it has none. */
  const fieldTtl = `CASE WHEN f.expires_at IS NOT NULL
            THEN ${remaining('least(f.expires_at, s.expires_at)')} END`;

  const reportWrite = `SELECT EXISTS (SELECT 1 FROM sess) AS written,
        (SELECT ${remaining('expires_at')} FROM sess) AS ttl_ms`;

  return {
    // One round trip, one lookup of the key. The session's columns come once, in a row of
    // their own, rather than repeated (and recomputed) on every field row; `name` is never NULL
    // on a field row. A field's TTL is capped at its session's.
    getAll: `SELECT x.* FROM ${S} AS s CROSS JOIN LATERAL (
        SELECT NULL::text AS name, NULL::bytea AS value,
          ${epochMs('s.created_at')} AS created_ms,
          ${remaining('s.expires_at')} AS ttl_ms, ${remaining('s.deadline')} AS max_ttl_ms,
          s.owner
        UNION ALL
        SELECT f.name, f.value, NULL, ${fieldTtl}, NULL, NULL
        FROM ${F} AS f WHERE f.session_id = s.id AND ${live('f')}
      ) AS x
      WHERE s.key = $1 AND ${live('s')}`,

    // `old` locks an existing row first and reports whether it had expired: that is the one
    // reliable moment to learn it, since RETURNING shows only the new row. An expired session
    // is recreated from scratch, so its leftover fields go and its counters are the batch's. A
    // row that appears concurrently is invisible to `old` but caught by ON CONFLICT, which waits
    // for it; it is new, so it has no leftovers. The fields are written after the session row,
    // whose lock serialises writers. When the limits refuse the write, nothing is written and
    // no row has `written`.
    create: `WITH old AS (
        SELECT s.expires_at <= now() AS expired FROM ${S} AS s WHERE s.key = $1 FOR UPDATE
      ), batch AS (
        SELECT ${batchCount} AS n, ${batchBytes} AS b
      ), sess AS (
        INSERT INTO ${S} AS s (key, created_at, expires_at, deadline, field_count, field_bytes,
          owner, last_active_at)
        SELECT $1, now(), ${fresh('$8', '$11')}, ${after('$11')}, batch.n, batch.b, $12::text, now()
        -- Reading from old makes the insert wait for it, so the lock is taken first.
        FROM (SELECT count(*) FROM old) AS locked, batch
        -- A new or recreated session holds the batch alone, which must fit.
        WHERE ${fits(['0', '0'], ['batch.n', 'batch.b'])}
        ON CONFLICT (key) DO UPDATE SET
          created_at = CASE WHEN s.expires_at <= now() THEN excluded.created_at ELSE s.created_at END,
          deadline = CASE WHEN s.expires_at <= now() THEN excluded.deadline ELSE s.deadline END,
          expires_at = CASE WHEN s.expires_at <= now() THEN excluded.expires_at
            ELSE ${extended('s', '$8')} END,
          field_count = CASE WHEN s.expires_at <= now() THEN excluded.field_count
            ELSE s.field_count + excluded.field_count END,
          field_bytes = CASE WHEN s.expires_at <= now() THEN excluded.field_bytes
            ELSE s.field_bytes + excluded.field_bytes END,
          owner = CASE WHEN s.expires_at <= now() THEN excluded.owner ELSE s.owner END,
          last_active_at = excluded.last_active_at
        WHERE s.expires_at <= now()
          OR ${fits(counters('s'), ['excluded.field_count', 'excluded.field_bytes'])}
        RETURNING s.id, s.expires_at
      ), stale AS (
        DELETE FROM ${F} AS f USING sess
        WHERE f.session_id = sess.id
          AND (f.name = ANY($7::text[])
            OR (f.name <> ALL($2::text[]) AND (SELECT coalesce(bool_or(expired), false) FROM old)))
      ), written AS (
        ${upsertFields('sess')}
      )
      ${reportWrite}`,

    update: `WITH ${extendLive('$8', '$9', '$10', batchCount, batchBytes)}, stale AS (
        DELETE FROM ${F} AS f USING sess WHERE f.session_id = sess.id AND f.name = ANY($7::text[])
      ), written AS (
        ${upsertFields('sess')}
      )
      ${reportWrite}`,

    updateOne: `WITH ${extendLive('$5', '$6', '$7', '1', 'octet_length($2::text) + octet_length($3::bytea)')}, written AS (
        INSERT INTO ${F} AS f (session_id, name, value, expires_at)
        SELECT sess.id, $2::text, $3::bytea, CASE WHEN $4::float8 > 0 THEN ${after('$4')} END
        FROM sess
        ON CONFLICT (session_id, name)
        DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
      )
      ${reportWrite}`,

    // The placeholder expires at now(), so the next statement of the transaction sees it as
    // dead and creates the session properly. DO UPDATE ... WHERE false updates nothing but
    // still locks an existing row.
    claimSession: `INSERT INTO ${S} AS s (key, created_at, expires_at) VALUES ($1, now(), now())
      ON CONFLICT (key) DO UPDATE SET expires_at = s.expires_at WHERE false`,

    lockSession: `SELECT 1 AS found FROM ${S} AS s WHERE s.key = $1 AND ${live('s')} FOR UPDATE`,

    // Runs after claimSession or lockSession, in a new snapshot, so it sees every write that
    // committed before the lock was granted, and no writer that grows the session can start
    // until this one commits: the totals are exact. A refused write changes nothing (the caller
    // rolls back the claim); a dead session (or the claim's placeholder) starts from nothing.
    // Expired field rows go on the way, so the next recount reads no more than the live fields.
    writeExact: `WITH cur AS (
        SELECT s.id, ${live('s')} AS live, s.expires_at FROM ${S} AS s WHERE s.key = $1
      ), verdict AS (
        SELECT CASE WHEN t.new_n > $9::int8 AND t.new_n > t.old_n THEN 'maxFields'
            WHEN t.new_b > $10::int8 AND t.new_b > t.old_b THEN 'maxSessionBytes' END AS refused,
          t.new_n, t.new_b
        FROM (
          SELECT count(*) AS old_n, coalesce(sum(h.size), 0) AS old_b,
            count(*) FILTER (WHERE h.kept) + cardinality($2::text[]) AS new_n,
            coalesce(sum(h.size) FILTER (WHERE h.kept), 0) + (
              SELECT coalesce(sum(octet_length(w.name) + w.len), 0)
              FROM unnest($2::text[], $5::int[]) AS w(name, len)
            ) AS new_b,
            coalesce(bool_or(NOT h.kept), false) AS hit
          FROM (
            SELECT octet_length(f.name) + octet_length(f.value) AS size,
              f.name <> ALL($2::text[]) AND f.name <> ALL($7::text[]) AS kept
            FROM ${F} AS f, cur WHERE cur.live AND f.session_id = cur.id AND ${live('f')}
          ) AS h
        ) AS t
        -- With $12, a live field of the batch means there is nothing to write.
        WHERE NOT ($12::boolean AND t.hit)
      ), sess AS (
        UPDATE ${S} AS s SET
          created_at = CASE WHEN cur.live THEN s.created_at ELSE now() END,
          deadline = CASE WHEN cur.live THEN s.deadline ELSE ${after('$11')} END,
          expires_at = CASE WHEN cur.live THEN ${extended('s', '$8')} ELSE ${fresh('$8', '$11')} END,
          field_count = verdict.new_n, field_bytes = verdict.new_b,
          owner = CASE WHEN cur.live THEN s.owner ELSE $13::text END, last_active_at = now()
        FROM cur, verdict WHERE s.id = cur.id AND verdict.refused IS NULL
        RETURNING s.id, s.expires_at, cur.live AS was_live
      ), stale AS (
        DELETE FROM ${F} AS f USING sess
        WHERE f.session_id = sess.id AND f.name <> ALL($2::text[])
          AND (NOT sess.was_live OR f.name = ANY($7::text[]) OR NOT ${live('f')})
      ), written AS (
        ${upsertFields('sess')}
      )
      SELECT EXISTS (SELECT 1 FROM sess) AS written, (SELECT refused FROM verdict) AS refused,
        ${remaining(
          'CASE WHEN EXISTS (SELECT 1 FROM sess) THEN (SELECT expires_at FROM sess) ' +
            'ELSE (SELECT expires_at FROM cur) END',
        )} AS ttl_ms`,

    remove: `DELETE FROM ${F} AS f USING ${S} AS s
      WHERE s.key = $1 AND ${live('s')} AND f.session_id = s.id AND f.name = $2 AND ${live('f')}
      RETURNING 1 AS removed`,

    // Concurrent takers all try to delete the same row; the losers find it gone and return nothing.
    take: `DELETE FROM ${F} AS f USING ${S} AS s
      WHERE s.key = $1 AND ${live('s')} AND f.session_id = s.id AND f.name = $2 AND ${live('f')}
      RETURNING f.value`,

    delete: `DELETE FROM ${S} AS s WHERE s.key = $1 RETURNING ${live('s')} AS live`,

    // The target is claimed by inserting it, so of two renames onto one key ON CONFLICT lets
    // exactly one through; an expired target is taken over, a live one is left alone. The
    // owner's lock is only tried here, with the source row locked: waiting for it could deadlock
    // with a deleteOwned waiting for that row.
    renameClaim: `WITH src AS (
        SELECT s.created_at, s.expires_at, s.deadline, s.owner FROM ${S} AS s
        WHERE s.key = $1 AND ${live('s')} FOR UPDATE
      ), locked AS (
        SELECT src.owner IS NULL OR pg_try_advisory_xact_lock_shared(${ownerLock(S, 'src.owner')})
          AS ok
        FROM src
      ), claimed AS (
        INSERT INTO ${S} AS s (key, created_at, expires_at, deadline, owner, last_active_at)
        SELECT $2, src.created_at, ${extended('src', '$3')}, src.deadline,
          coalesce($4::text, src.owner), now()
        FROM src, locked WHERE locked.ok
        ON CONFLICT (key) DO UPDATE SET created_at = excluded.created_at,
          expires_at = excluded.expires_at, deadline = excluded.deadline, owner = excluded.owner,
          last_active_at = excluded.last_active_at
        WHERE s.expires_at <= now()
        RETURNING s.id, s.expires_at
      ), cleared AS (
        DELETE FROM ${F} AS f USING claimed WHERE f.session_id = claimed.id
      )
      SELECT EXISTS (SELECT 1 FROM src) AS found,
        EXISTS (SELECT 1 FROM locked WHERE NOT ok) AS contended,
        EXISTS (SELECT 1 FROM claimed) AS claimed,
        (SELECT ${remaining('expires_at')} FROM claimed) AS ttl_ms`,

    // Holds no row lock, so it may wait. The lock function returns void, which some drivers
    // cannot read: it is selected from.
    lockSourceOwner: `SELECT (SELECT true FROM pg_advisory_xact_lock_shared(${ownerLock(S, 's.owner')}))
        AS locked
      FROM ${S} AS s WHERE s.key = $1 AND ${live('s')} AND s.owner IS NOT NULL`,

    // The cascade from deleting the source row runs at the end of the statement, after the
    // move, so it takes only the expired fields left behind. The target's counters are the
    // fields moved, exactly.
    renameMove: `WITH moved AS (
        UPDATE ${F} AS f SET session_id = t.id FROM ${S} AS src, ${S} AS t
        WHERE src.key = $1 AND t.key = $2 AND f.session_id = src.id AND ${live('f')}
        RETURNING octet_length(f.name) + octet_length(f.value) AS size
      ), counted AS (
        UPDATE ${S} AS t SET field_count = (SELECT count(*) FROM moved),
          field_bytes = (SELECT coalesce(sum(size), 0) FROM moved)
        WHERE t.key = $2
      )
      DELETE FROM ${S} AS s WHERE s.key = $1`,

    extend: `UPDATE ${S} AS s SET expires_at = CASE WHEN s.expires_at IS NULL THEN NULL
        ELSE least(greatest(s.expires_at, ${after('$2')}), s.deadline) END, last_active_at = now()
      WHERE s.key = $1 AND ${live('s')}
      RETURNING ${remaining('s.expires_at')} AS ttl_ms`,

    persist: `UPDATE ${S} AS s SET expires_at = s.deadline, last_active_at = now()
      WHERE s.key = $1 AND ${live('s')}
      RETURNING ${remaining('s.expires_at')} AS ttl_ms`,

    // An end set by expire 'set' is also a deadline, so later writes cannot move it.
    end: `UPDATE ${S} AS s SET expires_at = least(s.deadline, ${after('$2')}),
        deadline = least(s.deadline, ${after('$2')})
      WHERE s.key = $1 AND ${live('s')}
      RETURNING ${remaining('s.expires_at')} AS ttl_ms`,

    endNow: `DELETE FROM ${S} AS s WHERE s.key = $1 AND ${live('s')} RETURNING 0::float8 AS ttl_ms`,

    // Through the owner index, then the fields' primary key, as getAll does per session.
    listOwned: `SELECT s.key, x.* FROM ${S} AS s CROSS JOIN LATERAL (
        SELECT NULL::text AS name, NULL::bytea AS value, ${epochMs('s.created_at')} AS created_ms,
          ${remaining('s.expires_at')} AS ttl_ms, ${epochMs('s.last_active_at')} AS active_ms
        UNION ALL
        SELECT f.name, f.value, NULL, ${fieldTtl}, NULL
        FROM ${F} AS f WHERE f.session_id = s.id AND f.name = ANY($2::text[]) AND ${live('f')}
      ) AS x
      WHERE s.owner = $1 AND ${live('s')}
      ORDER BY s.created_at, s.key`,

    lockOwner: `SELECT 1 AS locked FROM pg_advisory_xact_lock(${ownerLock(S, '$1::text')})`,

    // Expired sessions go too, but only live ones are reported. Their fields go by the cascade.
    deleteOwned: `DELETE FROM ${S} AS s WHERE s.owner = $1 AND s.key IS DISTINCT FROM $2::text
      RETURNING s.key, ${live('s')} AS live`,

    // SKIP LOCKED leaves rows a live call holds to that call, so sweeping never waits on traffic
    // and traffic waits at most one small batch on the sweeper. A session's fields go with it,
    // by the foreign key's cascade.
    sweepSessions: `WITH doomed AS (
        SELECT s.id FROM ${S} AS s WHERE s.expires_at <= now()
        LIMIT $1::int FOR UPDATE SKIP LOCKED
      ), gone AS (
        DELETE FROM ${S} AS s USING doomed WHERE s.id = doomed.id RETURNING 1
      )
      SELECT count(*)::float8 AS removed FROM gone`,

    sweepFields: `WITH doomed AS (
        SELECT f.session_id, f.name FROM ${F} AS f WHERE f.expires_at <= now()
        LIMIT $1::int FOR UPDATE SKIP LOCKED
      ), gone AS (
        DELETE FROM ${F} AS f USING doomed
        WHERE f.session_id = doomed.session_id AND f.name = doomed.name RETURNING 1
      )
      SELECT count(*)::float8 AS removed FROM gone`,
  };
}
