--[[
  Loads everything one batch needs in one round trip: the partition's meta (offsets, stream
  time, version), the stored profiles of the batch's customers, the customers whose due time
  has come (with their profiles) up to the batch's new stream time, the held signals of all
  those customers, and how many customers have a timer at all (the base of the storm guard).

  The caller may hold decoded profiles from its own earlier commits. When the partition's
  version is still the one it committed (nobody wrote since), their bytes are not sent again.

  KEYS[1] meta hash        pulse:{<ns>:p<n>}:meta
  KEYS[2] profiles hash    pulse:{<ns>:p<n>}:profiles   (customerId -> encoded profile)
  KEYS[3] due index zset   pulse:{<ns>:p<n>}:due        (customerId scored by due time, ms)
  KEYS[4] held hash        pulse:{<ns>:p<n>}:held       (customerId -> held signal)
  KEYS[5] outbox stream    pulse:{<ns>:p<n>}:outbox     (not read: the one key order)

  ARGV[1] due horizon in ms: pop customers due at or before it; '-1' for none
  ARGV[2] most due customers to return
  ARGV[3] version the caller's cached profiles are good for; '-1' for none
  ARGV[4] U: how many of the batch's customer ids follow that the caller has not cached
  ARGV[5..4+U] those ids; then the ids of the batch's customers the caller has cached

  Returns { metaFlat, profiles (one per id: all ids when the cache is stale, else the U
            uncached ones; false when absent), dueIds, dueProfiles (false for a cached one
            while the cache is good), held (one per id), heldDue (one per due id),
            timedCustomers, cacheGood (1 or 0) }
]]
local meta = redis.call('HGETALL', KEYS[1])
local version = redis.call('HGET', KEYS[1], 'version') or '0'
local cacheGood = ARGV[3] ~= '-1' and tonumber(version) == tonumber(ARGV[3])
local uncachedCount = tonumber(ARGV[4])
local ids = {}
local uncached = {}
local cached = {}
for i = 5, #ARGV do
  ids[#ids + 1] = ARGV[i]
  if i <= 4 + uncachedCount then uncached[#uncached + 1] = ARGV[i] else cached[ARGV[i]] = true end
end
local wanted = ids
if cacheGood then wanted = uncached end
local profiles = {}
if #wanted > 0 then profiles = redis.call('HMGET', KEYS[2], unpack(wanted)) end
local held = {}
if #ids > 0 then held = redis.call('HMGET', KEYS[4], unpack(ids)) end
local dueIds = {}
local dueProfiles = {}
local heldDue = {}
if ARGV[1] ~= '-1' then
  dueIds = redis.call('ZRANGE', KEYS[3], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]))
  if #dueIds > 0 then
    for i, id in ipairs(dueIds) do
      if cacheGood and cached[id] then
        dueProfiles[i] = false
      else
        dueProfiles[i] = redis.call('HGET', KEYS[2], id)
      end
    end
    heldDue = redis.call('HMGET', KEYS[4], unpack(dueIds))
  end
end
return { meta, profiles, dueIds, dueProfiles, held, heldDue, redis.call('ZCARD', KEYS[3]), cacheGood and 1 or 0 }
