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
 * ## Parameters of a field batch
 * `$1` key, `$2` names `text[]`, `$3` every value concatenated into one `bytea`, `$4` 1-based
 * start offsets `int[]`, `$5` lengths `int[]`, `$6` own TTLs `float8[]` (0: none), `$7` names to
 * drop `text[]` (written with a TTL of zero or less), `$8` how far to extend the session in ms
 * (`NULL`: make it persistent), `$9` its absolute lifetime in ms when created (`NULL`: none).
 * One `bytea` with offsets travels through every driver, where a `bytea[]` would not.
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

function after(ms: string): string {
  return `now() + ${ms}::float8 * ${MS}`;
}

/** A live session's end after a write: longer only, never past the deadline. */
function extended(alias: string, extendMs: string): string {
  return `CASE WHEN ${extendMs}::float8 IS NULL THEN ${alias}.deadline
      WHEN ${alias}.expires_at IS NULL THEN NULL
      ELSE least(greatest(${alias}.expires_at, ${after(extendMs)}), ${alias}.deadline) END`;
}

/** Extends the live session `$1` in `sessions` by `extendMs`; returns its id and new end. */
function extendLive(sessions: string, extendMs: string): string {
  return `
        UPDATE ${sessions} AS s SET expires_at = ${extended('s', extendMs)}
        WHERE s.key = $1 AND ${live('s')}
        RETURNING s.id, s.expires_at
      `;
}

/** A new session's end, given its extension and absolute lifetime. */
function fresh(extendMs: string, absoluteMs: string): string {
  return `CASE WHEN ${extendMs}::float8 IS NULL THEN ${after(absoluteMs)}
      ELSE least(${after(extendMs)}, ${after(absoluteMs)}) END`;
}

/** Every statement of one store, as fixed text: the pg executor prepares each once. */
export interface PostgresStatements {
  /**
   * `$1` key. One row for the session (`name` NULL) with `created_ms`, `ttl_ms` and
   * `max_ttl_ms`, then one per live field with `name`, `value` and
   * `ttl_ms` (NULL: none).
   */
  readonly getAll: string;
  /** Field batch `$1..$9`: upserts the session, then its fields. */
  readonly create: string;
  /** Field batch `$1..$8`: writes only to a live session. */
  readonly update: string;
  /**
   * `$1` key, `$2` name, `$3` value, `$4` own TTL (`NULL`: none), `$5` extension: the common
   * write of one field to a live session, without a batch's arrays.
   */
  readonly updateOne: string;
  /** `$1` key: takes the session row lock, inserting a dead placeholder if there is none. */
  readonly claimSession: string;
  /** `$1` key: takes the lock of a live session, or returns no row. */
  readonly lockSession: string;
  /** `$1` key, `$2` name, `$3` value, `$4` own TTL, `$5` extension, `$6` absolute lifetime. */
  readonly insertIfAbsent: string;
  readonly remove: string;
  readonly take: string;
  readonly delete: string;
  /** `$1` from, `$2` to, `$3` extension: locks the source, claims the target. */
  readonly renameClaim: string;
  /** `$1` from, `$2` to: moves the live fields and deletes the source. */
  readonly renameMove: string;
  /** Field batch `$1..$7`: writes fields to a session whose expiry is already settled. */
  readonly writeFields: string;
  readonly extend: string;
  readonly persist: string;
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

  return {
    // One round trip, one lookup of the key. The session's columns come once, in a row of
    // their own, rather than repeated (and recomputed) on every field row; `name` is never NULL
    // on a field row. A field's TTL is capped at its session's.
    getAll: `SELECT x.* FROM ${S} AS s CROSS JOIN LATERAL (
        SELECT NULL::text AS name, NULL::bytea AS value,
          floor(extract(epoch FROM s.created_at) * 1000)::float8 AS created_ms,
          ${remaining('s.expires_at')} AS ttl_ms, ${remaining('s.deadline')} AS max_ttl_ms
        UNION ALL
        SELECT f.name, f.value, NULL, CASE WHEN f.expires_at IS NOT NULL
            THEN ${remaining('least(f.expires_at, s.expires_at)')} END, NULL
        FROM ${F} AS f WHERE f.session_id = s.id AND ${live('f')}
      ) AS x
      WHERE s.key = $1 AND ${live('s')}`,

    // `old` locks an existing row first and reports whether it had expired: that is the one
    // reliable moment to learn it, since RETURNING shows only the new row. An expired session
    // is recreated from scratch, so its leftover fields go. A row that appears concurrently is
    // invisible to `old` but caught by ON CONFLICT, which waits for it; it is new, so it has no
    // leftovers. The fields are written after the session row, whose lock serialises writers.
    create: `WITH old AS (
        SELECT s.expires_at <= now() AS expired FROM ${S} AS s WHERE s.key = $1 FOR UPDATE
      ), sess AS (
        INSERT INTO ${S} AS s (key, created_at, expires_at, deadline)
        SELECT $1, now(), ${fresh('$8', '$9')}, ${after('$9')}
        -- Reading from old makes the insert wait for it, so the lock is taken first.
        FROM (SELECT count(*) FROM old) AS locked
        ON CONFLICT (key) DO UPDATE SET
          created_at = CASE WHEN s.expires_at <= now() THEN excluded.created_at ELSE s.created_at END,
          deadline = CASE WHEN s.expires_at <= now() THEN excluded.deadline ELSE s.deadline END,
          expires_at = CASE WHEN s.expires_at <= now() THEN excluded.expires_at
            ELSE ${extended('s', '$8')} END
        RETURNING s.id, s.expires_at
      ), stale AS (
        DELETE FROM ${F} AS f USING sess
        WHERE f.session_id = sess.id
          AND (f.name = ANY($7::text[])
            OR (f.name <> ALL($2::text[]) AND (SELECT coalesce(bool_or(expired), false) FROM old)))
      ), written AS (
        ${upsertFields('sess')}
      )
      SELECT ${remaining('expires_at')} AS ttl_ms FROM sess`,

    update: `WITH sess AS (${extendLive(S, '$8')}), stale AS (
        DELETE FROM ${F} AS f USING sess WHERE f.session_id = sess.id AND f.name = ANY($7::text[])
      ), written AS (
        ${upsertFields('sess')}
      )
      SELECT ${remaining('expires_at')} AS ttl_ms FROM sess`,

    updateOne: `WITH sess AS (${extendLive(S, '$5')}), written AS (
        INSERT INTO ${F} AS f (session_id, name, value, expires_at)
        SELECT sess.id, $2, $3, CASE WHEN $4::float8 > 0 THEN ${after('$4')} END FROM sess
        ON CONFLICT (session_id, name)
        DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
      )
      SELECT ${remaining('expires_at')} AS ttl_ms FROM sess`,

    // The placeholder expires at now(), so the next statement of the transaction sees it as
    // dead and creates the session properly. DO UPDATE ... WHERE false updates nothing but
    // still locks an existing row.
    claimSession: `INSERT INTO ${S} AS s (key, created_at, expires_at) VALUES ($1, now(), now())
      ON CONFLICT (key) DO UPDATE SET expires_at = s.expires_at WHERE false`,

    lockSession: `SELECT 1 AS found FROM ${S} AS s WHERE s.key = $1 AND ${live('s')} FOR UPDATE`,

    // Runs after claimSession or lockSession, in a new snapshot, so it sees every write that
    // committed before the lock was granted, and no writer can start until this one commits.
    insertIfAbsent: `WITH cur AS (
        SELECT s.id, ${live('s')} AS live, s.expires_at FROM ${S} AS s WHERE s.key = $1
      ), hit AS (
        SELECT 1 FROM ${F} AS f, cur
        WHERE cur.live AND f.session_id = cur.id AND f.name = $2 AND ${live('f')}
      ), sess AS (
        UPDATE ${S} AS s SET
          created_at = CASE WHEN cur.live THEN s.created_at ELSE now() END,
          deadline = CASE WHEN cur.live THEN s.deadline ELSE ${after('$6')} END,
          expires_at = CASE WHEN cur.live THEN ${extended('s', '$5')} ELSE ${fresh('$5', '$6')} END
        FROM cur WHERE s.id = cur.id AND NOT EXISTS (SELECT 1 FROM hit)
        RETURNING s.id, s.expires_at, cur.live AS was_live
      ), stale AS (
        DELETE FROM ${F} AS f USING sess
        WHERE f.session_id = sess.id AND NOT sess.was_live
          AND (f.name <> $2 OR NOT coalesce($4::float8 > 0, true))
      ), written AS (
        INSERT INTO ${F} AS f (session_id, name, value, expires_at)
        SELECT sess.id, $2, $3::bytea, CASE WHEN $4::float8 > 0 THEN ${after('$4')} END FROM sess
        WHERE coalesce($4::float8 > 0, true)
        ON CONFLICT (session_id, name)
        DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
      )
      SELECT EXISTS (SELECT 1 FROM sess) AS written, ${remaining(
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
    // exactly one through; an expired target is taken over, a live one is left alone.
    renameClaim: `WITH src AS (
        SELECT s.created_at, s.expires_at, s.deadline FROM ${S} AS s
        WHERE s.key = $1 AND ${live('s')} FOR UPDATE
      ), claimed AS (
        INSERT INTO ${S} AS s (key, created_at, expires_at, deadline)
        SELECT $2, src.created_at, ${extended('src', '$3')}, src.deadline FROM src
        ON CONFLICT (key) DO UPDATE SET created_at = excluded.created_at,
          expires_at = excluded.expires_at, deadline = excluded.deadline
        WHERE s.expires_at <= now()
        RETURNING s.id, s.expires_at
      ), cleared AS (
        DELETE FROM ${F} AS f USING claimed WHERE f.session_id = claimed.id
      )
      SELECT EXISTS (SELECT 1 FROM src) AS found, EXISTS (SELECT 1 FROM claimed) AS claimed,
        (SELECT ${remaining('expires_at')} FROM claimed) AS ttl_ms`,

    // The cascade from deleting the source row runs at the end of the statement, after the
    // move, so it takes only the expired fields left behind.
    renameMove: `WITH moved AS (
        UPDATE ${F} AS f SET session_id = t.id FROM ${S} AS src, ${S} AS t
        WHERE src.key = $1 AND t.key = $2 AND f.session_id = src.id AND ${live('f')}
      )
      DELETE FROM ${S} AS s WHERE s.key = $1`,

    writeFields: `WITH sess AS (
        SELECT s.id FROM ${S} AS s WHERE s.key = $1
      ), stale AS (
        DELETE FROM ${F} AS f USING sess WHERE f.session_id = sess.id AND f.name = ANY($7::text[])
      )
      ${upsertFields('sess')}`,

    extend: `UPDATE ${S} AS s SET expires_at = CASE WHEN s.expires_at IS NULL THEN NULL
        ELSE least(greatest(s.expires_at, ${after('$2')}), s.deadline) END
      WHERE s.key = $1 AND ${live('s')}
      RETURNING ${remaining('s.expires_at')} AS ttl_ms`,

    persist: `UPDATE ${S} AS s SET expires_at = s.deadline
      WHERE s.key = $1 AND ${live('s')}
      RETURNING ${remaining('s.expires_at')} AS ttl_ms`,

    // An end set by expire 'set' is also a deadline, so later writes cannot move it.
    end: `UPDATE ${S} AS s SET expires_at = least(s.deadline, ${after('$2')}),
        deadline = least(s.deadline, ${after('$2')})
      WHERE s.key = $1 AND ${live('s')}
      RETURNING ${remaining('s.expires_at')} AS ttl_ms`,

    endNow: `DELETE FROM ${S} AS s WHERE s.key = $1 AND ${live('s')} RETURNING 0::float8 AS ttl_ms`,

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
