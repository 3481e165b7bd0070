/**
 * The Lua scripts behind every `RedisStore` call. Each call is one script, so each is one
 * round trip and atomic, and each reads the server's clock with `TIME`, so app servers with skewed
 * clocks agree on what has expired.
 *
 * A session is one hash. Next to the user's fields it holds metadata under names that start with
 * NUL, which user field names never do (the core rejects NUL):
 * - `\0c` creation time, `\0e` idle expiry (absent when persistent), `\0d` hard deadline (absent
 *   when none): all epoch milliseconds on the server clock.
 * - `\0t<field>` a field's own expiry, when field TTLs are emulated.
 * - `\0n` a lower bound on every `\0t` expiry, so a script learns from one `HMGET` whether any
 *   field may have expired, and scans the hash only then. It is present whenever a `\0t` is.
 * - `\0f` and `\0b` the session's field count and bytes (names and values), which the limits
 *   are checked against. Never below the truth: fields that Redis expires natively are still
 *   counted, so a write that the counts would refuse counts the hash again first. Absent when
 *   not known (a session from before them, or after a purge), and then counted when next needed.
 * - `\0o` the owner the session is bound to, and `\0a` when a write or an extension last reached
 *   it (epoch ms). Only owned sessions keep `\0a`: only the owner index reports it.
 *
 * A bind (a creating write or a rename that gives the session an owner) runs only after the
 * store added the key to the owner's index (`redis-owners.ts`), and is refused on a key whose
 * tombstone (`<key>~gone`) says an index pass already found it dead.
 *
 * The key's own expiry (`PEXPIREAT`) always equals the session's end, the earlier of `\0e` and
 * `\0d`, so Redis drops dead sessions by itself. Scripts still compare against `TIME`, because a
 * key can outlive its expiry by a few milliseconds inside a script.
 *
 * With native field expiry (Redis 7.4+, Valkey 9+), a field's TTL is set with `HPEXPIREAT` and
 * Redis removes the field itself. Only field writes and `getAll` differ; everything else is
 * shared, so sessions written while TTLs were emulated stay correct after an upgrade.
 *
 * @packageDocumentation
 */

/** How field TTLs are kept. */
export type FieldTtlMode = 'native' | 'emulated';

/** Every operation the store performs, one script each. */
export type ScriptName =
  | 'getAll'
  | 'write'
  | 'rename'
  | 'expire'
  | 'remove'
  | 'take'
  | 'delete'
  | 'owned';

/** A script and how many of its arguments are keys, as ioredis `defineCommand` takes them. */
export interface ScriptSource {
  readonly lua: string;
  readonly numberOfKeys: number;
}

/**
 * The clock, and reading a session. `live` treats a session past its end as gone and deletes it;
 * `load` also purges the fields whose own TTL ran out, when `\0n` says some may have.
 */
const READ = String.raw`
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local function ends(e, d)
  if e and d then return math.min(e, d) end
  return e or d
end
local function live(key)
  local m = redis.call('HMGET', key, '\0c', '\0e', '\0d', '\0n', '\0f', '\0b', '\0o')
  if not m[1] then return nil end
  local s = {e = tonumber(m[2]), d = tonumber(m[3]), n = tonumber(m[4]), f = tonumber(m[5]),
    b = tonumber(m[6]), o = m[7] or nil}
  local x = ends(s.e, s.d)
  if x and x <= now then
    redis.call('DEL', key)
    return nil
  end
  return s
end
local function load(key)
  local s = live(key)
  if s and s.n and s.n <= now then
    s.n = nil
    local names = redis.call('HKEYS', key)
    for i = 1, #names do
      local name = names[i]
      if string.sub(name, 1, 2) == '\0t' then
        local at = tonumber(redis.call('HGET', key, name))
        if at <= now then
          redis.call('HDEL', key, name, string.sub(name, 3))
        elseif not s.n or at < s.n then
          s.n = at
        end
      end
    end
    if s.n then redis.call('HSET', key, '\0n', s.n) else redis.call('HDEL', key, '\0n') end
    -- Purged fields leave the counts above the truth; counting again is cheaper than tracking.
    s.f, s.b = nil, nil
    redis.call('HDEL', key, '\0f', '\0b')
  end
  return s
end
local function uncount(key, s, f, len)
  if s.f then redis.call('HSET', key, '\0f', s.f - 1, '\0b', s.b - #f - len) end
end
local function left(e, d)
  local x = ends(e, d)
  return x and math.max(x - now, 0) or -1
end
`;

/**
 * Storing a session's expiry: the metadata and the key's `PEXPIREAT`, each only when it changed.
 * Resolves the remaining TTL, or -1 when persistent.
 */
const SETTLE = String.raw`
local function settle(key, s, e, d)
  if s.fresh or e ~= s.e then
    if e then redis.call('HSET', key, '\0e', e) else redis.call('HDEL', key, '\0e') end
  end
  if d ~= s.d then redis.call('HSET', key, '\0d', d) end
  local x = ends(e, d)
  if s.fresh or x ~= ends(s.e, s.d) then
    if x then redis.call('PEXPIREAT', key, x) else redis.call('PERSIST', key) end
  end
  return left(e, d)
end
`;

/**
 * The limits. `admit` learns what the field triples from ARGV index `i` change in the field
 * count and bytes, and replies the name of the limit they would pass, or nil; it leaves the new
 * counts in `s.f` and `s.b` for `write` to store. Its cost is the session's own size at most.
 */
const LIMITS = String.raw`
local function tally(key)
  local all, f, b = redis.call('HGETALL', key), 0, 0
  for j = 1, #all, 2 do
    if string.byte(all[j], 1) ~= 0 then f, b = f + 1, b + #all[j] + #all[j + 1] end
  end
  return f, b
end
local function growth(key, s, i)
  local df, db, seen = 0, 0, {}
  for j = i, #ARGV, 3 do
    local f = ARGV[j]
    local old = seen[f]
    if old == nil then
      old = -1
      if not s.fresh then
        local len = redis.call('HSTRLEN', key, f)
        if len > 0 or redis.call('HEXISTS', key, f) == 1 then old = #f + len end
      end
    end
    local at = tonumber(ARGV[j + 2])
    local new = -1
    if not at or at > 0 then new = #f + #ARGV[j + 1] end
    df = df + (new >= 0 and 1 or 0) - (old >= 0 and 1 or 0)
    db = db + math.max(new, 0) - math.max(old, 0)
    seen[f] = new
  end
  return df, db
end
local function admit(key, s, i, maxF, maxB)
  local exact = s.fresh
  if exact then s.f, s.b = 0, 0 end
  if maxF and not s.f then
    s.f, s.b = tally(key)
    exact = true
  end
  -- Counts not known and no limits to keep: nothing to check or to keep up to date.
  if not s.f then return nil end
  local df, db = growth(key, s, i)
  local function over()
    if df > 0 and s.f + df > maxF then return 'maxFields' end
    if db > 0 and s.b + db > maxB then return 'maxSessionBytes' end
  end
  if maxF and over() and not exact then s.f, s.b = tally(key) end
  local limit = maxF and over()
  if limit then return limit end
  s.f, s.b = s.f + df, s.b + db
end
`;

/** Setting a field with a TTL (`at`, epoch ms) in each mode. */
const FIELD_TTL: Record<FieldTtlMode, string> = {
  emulated: String.raw`
      redis.call('HSET', key, f, v, '\0t' .. f, at)
      if not n or at < n then n = at end`,
  native: String.raw`
      redis.call('HSET', key, f, v)
      if s.n then redis.call('HDEL', key, '\0t' .. f) end
      redis.call('HPEXPIREAT', key, at, 'FIELDS', 1, f)`,
};

/**
 * The write rules of the TTL model, for fields given as `field, value, ttl` triples in ARGV from
 * index `i`. A ttl is '' (lives with the session), 'p' (persistent) or milliseconds.
 */
function writeFunction(mode: FieldTtlMode): string {
  return String.raw`
local function write(key, s, idle, i)
  local e, n = s.e, nil
  if e and now + idle > e then e = now + idle end
  for j = i, #ARGV, 3 do
    local f, v, ttl = ARGV[j], ARGV[j + 1], ARGV[j + 2]
    local at = tonumber(ttl)
    if not at then
      redis.call('HSET', key, f, v)
      if s.n or n then redis.call('HDEL', key, '\0t' .. f) end
      if ttl == 'p' then e = nil end
    elseif at > 0 then
      at = now + at${FIELD_TTL[mode]}
      if e and at > e then e = at end
    else
      redis.call('HDEL', key, f, '\0t' .. f)
    end
  end
  if n and (not s.n or n < s.n) then redis.call('HSET', key, '\0n', n) end
  if s.f then redis.call('HSET', key, '\0f', s.f, '\0b', s.b) end
  if s.o then redis.call('HSET', key, '\0a', now) end
  return settle(key, s, e, s.d)
end
`;
}

/** How long a tombstone refuses binds onto its key. */
export const TOMBSTONE_MS = 86_400_000;
/**
 * How old a bind's index entry may be (by the index server's `TIME`, passed as `at`): far below
 * {@link TOMBSTONE_MS}, so a bind held up in a queue cannot outlive the tombstone meant for it.
 */
export const MAX_BIND_DELAY_MS = 3_600_000;

/** Whether a bind may land on the key whose tombstone is `tomb`, its index entry added at `at`. */
const BIND = `
local function bindable(tomb, at)
  at = tonumber(at)
  return at and now - at < ${MAX_BIND_DELAY_MS} and redis.call('EXISTS', tomb) == 0
end
`;

/**
 * set, setMany and setIfAbsent. KEYS: the session, its tombstone. ARGV: create ('1'/'0'), idle
 * ms, absolute ms (or ''), if-absent ('1'/'0'), max fields and max bytes (or '' for no limits),
 * the owner to bind a created session to and when its index entry was added (or ''), then field
 * triples. Replies `{0}` missing or bind refused, `{1, ttl}` written, `{2, ttl}` kept, `{4, limit}`
 * refused, `{6}` creating a bound session needs its index entry first.
 */
const WRITE = String.raw`
local k, o = KEYS[1], ARGV[7]
local s = load(k)
if not s then
  if ARGV[1] ~= '1' then return {0} end
  if o ~= '' then
    if ARGV[8] == '' then return {6} end
    if not bindable(KEYS[2], ARGV[8]) then return {0} end
  end
  s = {fresh = true, e = now, d = nil, o = o ~= '' and o or nil}
elseif ARGV[4] == '1' and redis.call('HEXISTS', k, ARGV[9]) == 1 then
  return {2, left(s.e, s.d)}
end
local limit = admit(k, s, 9, tonumber(ARGV[5]), tonumber(ARGV[6]))
if limit then return {4, limit} end
if s.fresh then
  local meta, absolute = {'\0c', now}, tonumber(ARGV[3])
  if absolute then
    s.d = now + absolute
    meta[3], meta[4] = '\0d', s.d
  end
  if s.o then
    meta[#meta + 1] = '\0o'
    meta[#meta + 1] = s.o
  end
  redis.call('HSET', k, unpack(meta))
end
return {1, write(k, s, tonumber(ARGV[2]), 9)}
`;

/**
 * KEYS: from, to, to's tombstone. ARGV: idle ms, max fields and max bytes (or ''), an owner, 'b'
 * to bind the session to it or 'k' to keep the owner `from` has, which must be that one ('' for
 * none), when the owner's index entry for `to` was added (or ''), then field triples. `RENAME`
 * carries the fields, metadata, owner, counts and key expiry. Replies `{0}` missing, `{1, ttl}`
 * renamed, `{3}` collision or bind refused, `{4, limit}` refused, `{5, owner}` `from` has another
 * owner than expected ('' for none).
 */
const RENAME = String.raw`
local s = load(KEYS[1])
if not s then return {0} end
if live(KEYS[2]) then return {3} end
local o = ARGV[4]
if ARGV[5] == 'k' and (s.o or '') ~= o then return {5, s.o or ''} end
if o ~= '' and not bindable(KEYS[3], ARGV[6]) then return {3} end
local limit = admit(KEYS[1], s, 7, tonumber(ARGV[2]), tonumber(ARGV[3]))
if limit then return {4, limit} end
redis.call('RENAME', KEYS[1], KEYS[2])
if ARGV[5] == 'b' then
  s.o = o
  redis.call('HSET', KEYS[2], '\0o', o)
end
return {1, write(KEYS[2], s, tonumber(ARGV[1]), 7)}
`;

/** ARGV: ttl ms or 'p', mode 's' (set) or 'x' (extend). Replies nil when missing, else the ttl. */
const EXPIRE = String.raw`
local k = KEYS[1]
local s = load(k)
if not s then return nil end
local e, d, ttl = s.e, s.d, tonumber(ARGV[1])
if not ttl then
  e = nil
elseif ARGV[2] == 's' then
  if ttl <= 0 then
    redis.call('DEL', k)
    return 0
  end
  e = now + ttl
  if not d or e < d then d = e end
elseif e and now + ttl > e then
  e = now + ttl
end
if s.o and ARGV[2] ~= 's' then redis.call('HSET', k, '\0a', now) end
return settle(k, s, e, d)
`;

/**
 * Replies `{now, HGETALL}`; the caller derives every TTL from `now` and the metadata.
 *
 * The emulated read is the hot path, so it does no clean-up: it skips `load`'s metadata round
 * and leaves expired sessions and fields to the caller to filter out (the key's own expiry drops
 * the first, the next write's `load` purges the second). That makes it a bare `HGETALL` plus
 * `TIME`, several times cheaper inside Redis than a script that inspects the hash first.
 */
const GET_ALL: Record<FieldTtlMode, string> = {
  emulated: `
local t = redis.call('TIME')
return {t[1] * 1000 + math.floor(t[2] / 1000), redis.call('HGETALL', KEYS[1])}
`,
  // Adds each user field's HPEXPIRETIME, in HGETALL order; chunks stay within Lua's unpack limit.
  native: `${READ}
local k = KEYS[1]
if not load(k) then return nil end
local all, names, times = redis.call('HGETALL', k), {}, {}
for i = 1, #all, 2 do
  if string.byte(all[i], 1) ~= 0 then names[#names + 1] = all[i] end
end
for i = 1, #names, 1000 do
  local last = math.min(i + 999, #names)
  local r = redis.call('HPEXPIRETIME', k, 'FIELDS', last - i + 1, unpack(names, i, last))
  for j = 1, #r do times[#times + 1] = r[j] end
end
return {now, all, times}
`,
};

/**
 * HEXISTS rather than HDEL's count: native expiry may not have reclaimed an expired field yet,
 * and HDEL would count it.
 */
const REMOVE = String.raw`
local k, f = KEYS[1], ARGV[1]
local s = load(k)
if not s or redis.call('HEXISTS', k, f) == 0 then return 0 end
uncount(k, s, f, redis.call('HSTRLEN', k, f))
redis.call('HDEL', k, f, '\0t' .. f)
return 1
`;

const TAKE = String.raw`
local k, f = KEYS[1], ARGV[1]
local s = load(k)
if not s then return nil end
local v = redis.call('HGET', k, f)
if v then
  uncount(k, s, f, #v)
  redis.call('HDEL', k, f, '\0t' .. f)
end
return v
`;

/** Deleting a session already past its end reports false, as it was not live. */
const DELETE = `
if not live(KEYS[1]) then return 0 end
return redis.call('DEL', KEYS[1])
`;

/** A field's own expiry (epoch ms), or -1 for none, in each mode; emulated ones count in both. */
const EXPIRY: Record<FieldTtlMode, string> = {
  emulated: String.raw`
local function expiry(k, f)
  return tonumber(redis.call('HGET', k, '\0t' .. f)) or -1
end
`,
  native: String.raw`
local function expiry(k, f)
  local at = redis.call('HPEXPIRETIME', k, 'FIELDS', 1, f)[1]
  if at > 0 then return at end
  return tonumber(redis.call('HGET', k, '\0t' .. f)) or -1
end
`,
};

/**
 * One member of an owner's index, for a pass over it. KEYS: the session, its tombstone. ARGV:
 * the owner, 'l' (list) or 'd' (delete), then the field names to list. A session that is not
 * live and bound to the owner gets a tombstone, which refuses a bind still on its way to the key,
 * and replies `{0}`; otherwise 'd' deletes it (leaving a tombstone too) and replies `{1}`, and 'l'
 * replies `{1, now, created, ttl or -1, last active or -1, value or false, expiry or -1, ...}`.
 */
const OWNED = String.raw`
local k = KEYS[1]
local s = load(k)
if not s or s.o ~= ARGV[1] or ARGV[2] == 'd' then
  local found = s and s.o == ARGV[1]
  if found then redis.call('DEL', k) end
  redis.call('SET', KEYS[2], '1', 'PX', ${TOMBSTONE_MS})
  return {found and 1 or 0}
end
local m = redis.call('HMGET', k, '\0c', '\0a')
local out = {1, now, tonumber(m[1]), left(s.e, s.d), tonumber(m[2]) or -1}
for i = 3, #ARGV do
  local f = ARGV[i]
  out[#out + 1] = redis.call('HGET', k, f)
  out[#out + 1] = expiry(k, f)
end
return out
`;

/** The scripts for one field TTL mode. */
export function sessionScripts(mode: FieldTtlMode): Record<ScriptName, ScriptSource> {
  const writer = READ + SETTLE + LIMITS + BIND + writeFunction(mode);
  const script = (lua: string, numberOfKeys = 1): ScriptSource => ({
    // Indentation and comments are for the reader of this file; a new connection sends every
    // script whole.
    lua: lua.replace(/^ +/gm, '').replace(/^--.*\n/gm, ''),
    numberOfKeys,
  });
  return {
    getAll: script(GET_ALL[mode]),
    write: script(writer + WRITE, 2),
    rename: script(writer + RENAME, 3),
    expire: script(READ + SETTLE + EXPIRE),
    remove: script(READ + REMOVE),
    take: script(READ + TAKE),
    delete: script(READ + DELETE),
    owned: script(READ + EXPIRY[mode] + OWNED, 2),
  };
}
