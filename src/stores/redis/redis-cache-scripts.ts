/**
 * The Lua scripts behind `RedisStore` as a session cache (the hot tier of a `LayeredStore`). A
 * cached key is two hashes of one hash tag: the copy (`…~copy`) and the local fields (`…~local`).
 * The copy hash holds the token `\0t`, the lease end `\0l`, the session's creation `\0c`, end
 * `\0e` and deadline `\0d`, and each field with its own expiry as `\0x<name>`; the local hash
 * holds fields and their `\0x` expiries. A live copy holds `\0L` while local fields may exist,
 * so a hot hit reads the local hash only then. Times are epoch milliseconds on the server's clock.
 * Every step that installs a token keeps the copy hash for at least the lease, so a token
 * outlives any fill that could have read the source before it.
 *
 * @packageDocumentation
 */

/** What every script starts with: the clock and the two hashes. */
const CLOCK = `
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
local copy_key, local_key = KEYS[1], KEYS[2]
`;

/** The scripts that change a key add helpers on the two hashes. */
const PRELUDE = `${CLOCK}
local DAY = 86400000

local function earliest(a, b)
  if a and b then return math.min(a, b) end
  return a or b
end

-- Local fields live as long as their session, and a day at most. Returns whether there are any.
local function keep_local_until(session_end)
  local until_at = earliest(session_end, now + DAY)
  local pttl = redis.call('PTTL', local_key)
  if pttl == -2 then return false end
  if pttl == -1 or now + pttl < until_at then redis.call('PEXPIREAT', local_key, until_at) end
  return true
end

local function hset_all(key, pairs)
  for first = 1, #pairs, 200 do
    redis.call('HSET', key, unpack(pairs, first, math.min(first + 199, #pairs)))
  end
end
`;

/**
 * `readCopy`: the clock and the copy hash whole, and the local hash unless the copy is live
 * without `\0L`; the caller decides what is live. It runs on every hot hit, so it skips the
 * helpers it does not use, and the local hash most sessions lack.
 */
export const READ_COPY = `${CLOCK}
local copy = redis.call('HGETALL', copy_key)
local lease_end, has_local = nil, false
for i = 1, #copy, 2 do
  local name = copy[i]
  if name == '\\0l' then lease_end = tonumber(copy[i + 1])
  elseif name == '\\0L' then has_local = true end
end
if lease_end and lease_end > now and not has_local then return {now, copy} end
return {now, copy, redis.call('HGETALL', local_key)}
`;

/**
 * `fillCopy`: ARGV expected, next, lease, created, ttl, max ttl ('' for none), then
 * (name, value, ttl or '') per field. Replies 1 when it stored the copy.
 */
export const FILL_COPY = `${PRELUDE}
local expected, next_token, lease = ARGV[1], ARGV[2], tonumber(ARGV[3])
if (redis.call('HGET', copy_key, '\\0t') or '') ~= expected then return 0 end
local pairs = {'\\0t', next_token, '\\0c', ARGV[4]}
local session_end = nil
if ARGV[5] ~= '' then
  session_end = now + tonumber(ARGV[5])
  table.insert(pairs, '\\0e'); table.insert(pairs, session_end)
end
if ARGV[6] ~= '' then
  local deadline = now + tonumber(ARGV[6])
  session_end = earliest(session_end, deadline)
  table.insert(pairs, '\\0d'); table.insert(pairs, deadline)
end
local lease_end = earliest(now + lease, session_end)
for i = 7, #ARGV, 3 do
  local name, value, ttl = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  table.insert(pairs, name); table.insert(pairs, value)
  if ttl ~= '' then
    local expires = now + tonumber(ttl)
    lease_end = math.min(lease_end, expires)
    table.insert(pairs, '\\0x' .. name); table.insert(pairs, expires)
  end
end
table.insert(pairs, '\\0l'); table.insert(pairs, lease_end)
redis.call('DEL', copy_key)
hset_all(copy_key, pairs)
redis.call('PEXPIRE', copy_key, lease)
if keep_local_until(session_end) then redis.call('HSET', copy_key, '\\0L', 1) end
return 1
`;

/**
 * `updateCopy`: ARGV expected, next, lease, ttl ('-' unchanged, '' none), the count of
 * removed names, the names, then (name, value, ttl or '') per field set. Replies
 * {1 if applied else 0, {name, value, ...} of live local fields removed}.
 */
export const UPDATE_COPY = `${PRELUDE}
local expected, next_token, lease, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local removing = tonumber(ARGV[5])
local first_set = 6 + removing
local removed = {}
-- Most sessions have no local fields: one EXISTS spares a command per field.
local has_local = redis.call('EXISTS', local_key) == 1
if has_local then
  for i = 6, first_set - 1 do
    local name = ARGV[i]
    local value = redis.call('HGET', local_key, name)
    local expires = tonumber(redis.call('HGET', local_key, '\\0x' .. name))
    if value and (not expires or expires > now) then
      table.insert(removed, name); table.insert(removed, value)
    end
    redis.call('HDEL', local_key, name, '\\0x' .. name)
  end
  for i = first_set, #ARGV, 3 do redis.call('HDEL', local_key, ARGV[i], '\\0x' .. ARGV[i]) end
end

local meta = redis.call('HMGET', copy_key, '\\0t', '\\0l', '\\0e', '\\0d')
local lease_end = tonumber(meta[2])
if (meta[1] or '') ~= expected or not lease_end or lease_end <= now then
  redis.call('DEL', copy_key)
  redis.call('HSET', copy_key, '\\0t', next_token)
  redis.call('PEXPIRE', copy_key, lease)
  return {0, removed}
end
-- One HDEL and one HSET for the whole change: this runs on every write.
local deleting, setting = {}, {}
for i = 6, first_set - 1 do
  table.insert(deleting, ARGV[i]); table.insert(deleting, '\\0x' .. ARGV[i])
end
for i = first_set, #ARGV, 3 do
  local name, value, field_ttl = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  table.insert(setting, name); table.insert(setting, value)
  if field_ttl == '' then
    table.insert(deleting, '\\0x' .. name)
  else
    local expires = now + tonumber(field_ttl)
    lease_end = math.min(lease_end, expires)
    table.insert(setting, '\\0x' .. name); table.insert(setting, expires)
  end
end
if ttl ~= '-' then
  local ends = nil
  if ttl == '' then
    table.insert(deleting, '\\0e')
  else
    ends = now + tonumber(ttl)
    table.insert(setting, '\\0e'); table.insert(setting, ends)
  end
  local session_end = earliest(ends, tonumber(meta[4]))
  lease_end = earliest(lease_end, session_end)
  if has_local then keep_local_until(session_end) end
end
table.insert(setting, '\\0t'); table.insert(setting, next_token)
table.insert(setting, '\\0l'); table.insert(setting, lease_end)
if #deleting > 0 then redis.call('HDEL', copy_key, unpack(deleting)) end
hset_all(copy_key, setting)
redis.call('PEXPIRE', copy_key, lease)
return {1, removed}
`;

/**
 * `writeLocal`: ARGV if absent ('1' or '0'), then (name, value, ttl or '') per field.
 * Replies -1 without a live copy, else {1 if written else 0, the session's ttl or -1}.
 */
export const WRITE_LOCAL = `${PRELUDE}
local meta = redis.call('HMGET', copy_key, '\\0l', '\\0e', '\\0d')
local lease_end = tonumber(meta[1])
if not lease_end or lease_end <= now then return -1 end
local session_end = earliest(tonumber(meta[2]), tonumber(meta[3]))
local session_ttl = session_end and session_end - now or -1
if ARGV[1] == '1' then
  local name = ARGV[2]
  local value = redis.call('HEXISTS', local_key, name) == 1
  local expires = tonumber(redis.call('HGET', local_key, '\\0x' .. name))
  if (value and (not expires or expires > now)) or redis.call('HEXISTS', copy_key, name) == 1 then
    return {0, session_ttl}
  end
end
for i = 2, #ARGV, 3 do
  local name, value, field_ttl = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  redis.call('HSET', local_key, name, value)
  if field_ttl == '' then
    redis.call('HDEL', local_key, '\\0x' .. name)
  else
    redis.call('HSET', local_key, '\\0x' .. name, now + tonumber(field_ttl))
  end
end
keep_local_until(session_end)
redis.call('HSET', copy_key, '\\0L', 1)
return {1, session_ttl}
`;

/**
 * `evict`: KEYS[3] and KEYS[4] are the local and copy hashes where local fields move ('1' in
 * ARGV[3]); ARGV next, lease. The copy hash keeps the new token alone.
 */
export const EVICT = `${PRELUDE}
if ARGV[3] == '1' and redis.call('EXISTS', local_key) == 1 then
  redis.call('RENAME', local_key, KEYS[3])
  if redis.call('EXISTS', KEYS[4]) == 1 then redis.call('HSET', KEYS[4], '\\0L', 1) end
else
  redis.call('DEL', local_key)
end
redis.call('DEL', copy_key)
redis.call('HSET', copy_key, '\\0t', ARGV[1])
redis.call('PEXPIRE', copy_key, ARGV[2])
return 1
`;
