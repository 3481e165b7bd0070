/**
 * The Lua scripts behind `RedisStore` as a session cache (the hot tier of a `LayeredStore`). A
 * cached key is one hash (`…~cache`) holding the copy and the local fields: the token `\0t`, the
 * lease end `\0l`, the session's creation `\0c`, end `\0e`, deadline `\0d` and owner `\0o`
 * (kept to report it; the hot tier indexes no owners), each copied field under its own name with
 * its expiry as `\0x<name>`, and each local field as `\0L<name>` with its expiry as `\0y<name>`
 * and the time they are kept until as `\0u`. A hot hit is then one `HGETALL`, as a RedisStore
 * read is. Times are epoch milliseconds on the server's clock. Every step that installs a token
 * keeps the hash for at least the lease, so a token outlives any fill that could have read the
 * source before it; the hash lives on while it holds local fields.
 *
 * @packageDocumentation
 */

/** What every script starts with: the clock and the hash. */
const CLOCK = `
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
local key = KEYS[1]
`;

/** The scripts that change a key add helpers on its hash. */
const PRELUDE = `${CLOCK}
local DAY = 86400000

local function earliest(a, b)
  if a and b then return math.min(a, b) end
  return a or b
end

-- Keeps the hash until at least that time; never shortens its life.
local function keep_until(at)
  local pttl = redis.call('PTTL', key)
  if pttl == -2 then return end
  if pttl == -1 or now + pttl < at then redis.call('PEXPIREAT', key, at) end
end

-- Local fields live as long as their session, and a day at most.
local function keep_local(session_end)
  local until_at = earliest(session_end, now + DAY)
  local known = tonumber(redis.call('HGET', key, '\\0u'))
  if known and known >= until_at then return end
  redis.call('HSET', key, '\\0u', until_at)
  keep_until(until_at)
end

local function hset_all(pairs)
  for first = 1, #pairs, 200 do
    redis.call('HSET', key, unpack(pairs, first, math.min(first + 199, #pairs)))
  end
end

local function is_local(name)
  local kind = string.sub(name, 1, 2)
  return kind == '\\0L' or kind == '\\0y' or kind == '\\0u'
end

-- Drops the copy, token included, and keeps the local fields.
local function drop_copy()
  local gone = {}
  for _, name in ipairs(redis.call('HKEYS', key)) do
    if not is_local(name) then table.insert(gone, name) end
  end
  for first = 1, #gone, 200 do
    redis.call('HDEL', key, unpack(gone, first, math.min(first + 199, #gone)))
  end
end
`;

/** `readCopy`: the clock and the hash whole; the caller decides what is live. */
export const READ_COPY = `${CLOCK}
return {now, redis.call('HGETALL', key)}
`;

/**
 * `fillCopy`: ARGV expected, next, lease, created, ttl, max ttl, owner ('' for none), then
 * (name, value, ttl or '') per field. Replies 1 when it stored the copy.
 */
export const FILL_COPY = `${PRELUDE}
local expected, next_token, lease = ARGV[1], ARGV[2], tonumber(ARGV[3])
if (redis.call('HGET', key, '\\0t') or '') ~= expected then return 0 end
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
if ARGV[7] ~= '' then
  table.insert(pairs, '\\0o'); table.insert(pairs, ARGV[7])
end
local lease_end = earliest(now + lease, session_end)
for i = 8, #ARGV, 3 do
  local name, value, ttl = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  table.insert(pairs, name); table.insert(pairs, value)
  if ttl ~= '' then
    local expires = now + tonumber(ttl)
    lease_end = math.min(lease_end, expires)
    table.insert(pairs, '\\0x' .. name); table.insert(pairs, expires)
  end
end
table.insert(pairs, '\\0l'); table.insert(pairs, lease_end)
drop_copy()
local has_local = redis.call('HEXISTS', key, '\\0u') == 1
hset_all(pairs)
keep_until(now + lease)
if has_local then keep_local(session_end) end
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
local meta = redis.call('HMGET', key, '\\0t', '\\0l', '\\0e', '\\0d', '\\0u')
-- Most sessions have no local fields, so no keep-until time, and skip this.
local has_local = meta[5] ~= false
if has_local then
  local gone = {}
  for i = 6, first_set - 1 do
    local name = ARGV[i]
    local held = redis.call('HMGET', key, '\\0L' .. name, '\\0y' .. name)
    local expires = tonumber(held[2])
    if held[1] and (not expires or expires > now) then
      table.insert(removed, name); table.insert(removed, held[1])
    end
    table.insert(gone, '\\0L' .. name); table.insert(gone, '\\0y' .. name)
  end
  for i = first_set, #ARGV, 3 do
    table.insert(gone, '\\0L' .. ARGV[i]); table.insert(gone, '\\0y' .. ARGV[i])
  end
  if #gone > 0 then redis.call('HDEL', key, unpack(gone)) end
end

local lease_end = tonumber(meta[2])
if (meta[1] or '') ~= expected or not lease_end or lease_end <= now then
  drop_copy()
  redis.call('HSET', key, '\\0t', next_token)
  keep_until(now + lease)
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
local session_end = nil
if ttl ~= '-' then
  local ends = nil
  if ttl == '' then
    table.insert(deleting, '\\0e')
  else
    ends = now + tonumber(ttl)
    table.insert(setting, '\\0e'); table.insert(setting, ends)
  end
  session_end = earliest(ends, tonumber(meta[4]))
  lease_end = earliest(lease_end, session_end)
end
table.insert(setting, '\\0t'); table.insert(setting, next_token)
table.insert(setting, '\\0l'); table.insert(setting, lease_end)
if #deleting > 0 then redis.call('HDEL', key, unpack(deleting)) end
hset_all(setting)
keep_until(now + lease)
if has_local and ttl ~= '-' then keep_local(session_end) end
return {1, removed}
`;

/**
 * `writeLocal`: ARGV if absent ('1' or '0'), max fields and max bytes (or ''), then (name, value,
 * ttl or '') per field. Replies -1 without a live copy, {4, limit} when the fields would take
 * the session (the copy with the local fields over it) past a limit, else {1 if written else 0,
 * the session's ttl or -1}. Counting reads the hash, which the limits bound.
 */
export const WRITE_LOCAL = `${PRELUDE}
local meta = redis.call('HMGET', key, '\\0l', '\\0e', '\\0d')
local lease_end = tonumber(meta[1])
if not lease_end or lease_end <= now then return -1 end
local session_end = earliest(tonumber(meta[2]), tonumber(meta[3]))
local session_ttl = session_end and session_end - now or -1
if ARGV[1] == '1' then
  local name = ARGV[4]
  local held = redis.call('HMGET', key, '\\0L' .. name, '\\0y' .. name, name)
  local expires = tonumber(held[2])
  if (held[1] and (not expires or expires > now)) or held[3] then return {0, session_ttl} end
end
local max_fields, max_bytes = tonumber(ARGV[2]), tonumber(ARGV[3])
if max_fields then
  local all, sizes, expiry = redis.call('HGETALL', key), {}, {}
  for i = 1, #all, 2 do
    local name, kind = all[i], string.sub(all[i], 1, 2)
    if string.byte(name, 1) ~= 0 then
      sizes[name] = sizes[name] or #name + #all[i + 1]
    elseif kind == '\\0L' then
      sizes[string.sub(name, 3)] = #name - 2 + #all[i + 1]
    elseif kind == '\\0y' then
      expiry[string.sub(name, 3)] = tonumber(all[i + 1])
    end
  end
  for name, at in pairs(expiry) do
    if at <= now then sizes[name] = nil end
  end
  local fields, bytes = 0, 0
  for _, size in pairs(sizes) do fields, bytes = fields + 1, bytes + size end
  local grown_fields, grown_bytes = fields, bytes
  for i = 4, #ARGV, 3 do
    local name = ARGV[i]
    local old, new = sizes[name], #name + #ARGV[i + 1]
    if not old then grown_fields = grown_fields + 1 end
    grown_bytes = grown_bytes + new - (old or 0)
    sizes[name] = new
  end
  if grown_fields > fields and grown_fields > max_fields then return {4, 'maxFields'} end
  if grown_bytes > bytes and grown_bytes > max_bytes then return {4, 'maxSessionBytes'} end
end
local setting, deleting = {}, {}
for i = 4, #ARGV, 3 do
  local name, value, field_ttl = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  table.insert(setting, '\\0L' .. name); table.insert(setting, value)
  if field_ttl == '' then
    table.insert(deleting, '\\0y' .. name)
  else
    table.insert(setting, '\\0y' .. name); table.insert(setting, now + tonumber(field_ttl))
  end
end
if #deleting > 0 then redis.call('HDEL', key, unpack(deleting)) end
hset_all(setting)
keep_local(session_end)
return {1, session_ttl}
`;

/**
 * `evict`: KEYS[2] is the hash the local fields move to, replacing its own ('1' in ARGV[3]);
 * ARGV next, lease. The hash keeps the new token alone.
 */
export const EVICT = `${PRELUDE}
if ARGV[3] == '1' then
  local moving, replaced = {}, {}
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    if is_local(all[i]) then table.insert(moving, all[i]); table.insert(moving, all[i + 1]) end
  end
  for _, name in ipairs(redis.call('HKEYS', KEYS[2])) do
    if is_local(name) then table.insert(replaced, name) end
  end
  for first = 1, #replaced, 200 do
    redis.call('HDEL', KEYS[2], unpack(replaced, first, math.min(first + 199, #replaced)))
  end
  if #moving > 0 then
    for first = 1, #moving, 200 do
      redis.call('HSET', KEYS[2], unpack(moving, first, math.min(first + 199, #moving)))
    end
    local until_at = tonumber(redis.call('HGET', KEYS[2], '\\0u'))
    local pttl = redis.call('PTTL', KEYS[2])
    if until_at and (pttl == -1 or now + pttl < until_at) then
      redis.call('PEXPIREAT', KEYS[2], until_at)
    end
  end
end
redis.call('DEL', key)
redis.call('HSET', key, '\\0t', ARGV[1])
redis.call('PEXPIRE', key, ARGV[2])
return 1
`;
