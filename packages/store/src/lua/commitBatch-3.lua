--[[
  Commits one batch atomically, compare-and-set on the partition's version and owner:
  profiles, due index, outbox entries, held signals and the meta fields (next offsets, stream
  time) move together or not at all. A writer that lost the partition (owner changed) or
  raced another commit (version moved) changes nothing.

  Profiles and timers are cut into buckets. The caller sends them grouped by bucket
  (`customerBucket` in src/keys.ts), so the script neither hashes an id nor calls Redis once per
  customer: one HSET, one ZADD and one ZREM per bucket group. A bucket may come in more than one
  group (the caller bounds a group's size, so that `unpack` stays within Lua's stack); a
  customer comes at most once among the profiles and once among the due entries. The bucket keys
  are built from the meta key's name (same hash tag, same slot), not declared: see loadBatch-4.

  KEYS[1] meta hash        pulse:{<ns>:p<n>}:meta
  KEYS[2] held hash        pulse:{<ns>:p<n>}:held
  KEYS[3] outbox stream    pulse:{<ns>:p<n>}:outbox
  built:  profiles         pulse:{<ns>:p<n>}:profiles:<b>
          due              pulse:{<ns>:p<n>}:due:<b>

  ARGV[1] owner token the writer holds
  ARGV[2] version the writer loaded
  ARGV[3] number of meta field/value pairs (M)
  ARGV[4] number of profile groups (GP)
  ARGV[5] number of due groups (GD)
  ARGV[6] number of outbox entries (O)
  ARGV[7] number of held entries (H)
  then M pairs: field, value
  then GP groups: bucket b (0-based), n, then n pairs: customerId, encoded profile
  then GD groups: bucket b, a, r, then a pairs: due time in ms, customerId (ZADD's order),
                  then r customerIds to take out of the index
  then O values: outbox payloads
  then H pairs: customerId, held signal ('' removes it)

  Returns
     { version, timers, b1, earliest1, b2, earliest2, … }  committed: the new version, how many
         customers gained a timer less how many lost one, and for each due bucket it changed its
         earliest due time now (false when empty): what the caller's next load needs of it
     -1  fenced: the partition has another owner now
     -2  conflict: the version moved since the load
]]
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner ~= ARGV[1] then return -1 end
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[2]) then return -2 end

local tag = string.match(KEYS[1], '^(.*):meta$')
if not tag then return redis.error_reply('ERR commitBatch: KEYS[1] is not a partition meta key') end

local m = tonumber(ARGV[3])
local gp = tonumber(ARGV[4])
local gd = tonumber(ARGV[5])
local o = tonumber(ARGV[6])
local h = tonumber(ARGV[7])
local i = 8

if m > 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV, i, i + 2 * m - 1))
  i = i + 2 * m
end

for _ = 1, gp do
  local b = ARGV[i]
  local n = tonumber(ARGV[i + 1])
  i = i + 2
  redis.call('HSET', tag .. ':profiles:' .. b, unpack(ARGV, i, i + 2 * n - 1))
  i = i + 2 * n
end

local timers = 0
local changed = {}
for _ = 1, gd do
  local b = ARGV[i]
  local due = tag .. ':due:' .. b
  local a = tonumber(ARGV[i + 1])
  local r = tonumber(ARGV[i + 2])
  i = i + 3
  if a > 0 then timers = timers + redis.call('ZADD', due, unpack(ARGV, i, i + 2 * a - 1)) end
  i = i + 2 * a
  if r > 0 then timers = timers - redis.call('ZREM', due, unpack(ARGV, i, i + r - 1)) end
  i = i + r
  changed[b] = due
end

for _ = 1, o do
  redis.call('XADD', KEYS[3], '*', 'v', ARGV[i])
  i = i + 1
end

for _ = 1, h do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[2], ARGV[i])
  else
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  end
  i = i + 2
end

local result = { redis.call('HINCRBY', KEYS[1], 'version', 1), timers }
for b, due in pairs(changed) do
  local head = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')
  result[#result + 1] = b
  result[#result + 1] = head[2] or false
end
return result
