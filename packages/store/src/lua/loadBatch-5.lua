--[[
  Loads everything one batch needs in one round trip: the partition's meta (offsets, stream
  time, version), the stored profiles of the batch's customers, the customers whose due time
  has come (with their profiles) up to the batch's new stream time, the held signals of all
  those customers, and how many customers have a timer at all (the base of the storm guard).

  KEYS[1] meta hash        pulse:{<ns>:p<n>}:meta
  KEYS[2] profiles hash    pulse:{<ns>:p<n>}:profiles   (customerId -> encoded profile)
  KEYS[3] due index zset   pulse:{<ns>:p<n>}:due        (customerId scored by due time, ms)
  KEYS[4] held hash        pulse:{<ns>:p<n>}:held       (customerId -> held signal)
  KEYS[5] outbox stream    pulse:{<ns>:p<n>}:outbox     (not read: the one key order)

  ARGV[1] due horizon in ms: pop customers due at or before it; '-1' for none
  ARGV[2] most due customers to return
  ARGV[3..] customer ids of the batch

  Returns { metaFlat, profiles (one per id, false when absent), dueIds, dueProfiles,
            held (one per id), heldDue (one per due id), timedCustomers }
]]
local meta = redis.call('HGETALL', KEYS[1])
local ids = {}
for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
local profiles = {}
local held = {}
if #ids > 0 then
  profiles = redis.call('HMGET', KEYS[2], unpack(ids))
  held = redis.call('HMGET', KEYS[4], unpack(ids))
end
local dueIds = {}
local dueProfiles = {}
local heldDue = {}
if ARGV[1] ~= '-1' then
  dueIds = redis.call('ZRANGE', KEYS[3], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]))
  if #dueIds > 0 then
    dueProfiles = redis.call('HMGET', KEYS[2], unpack(dueIds))
    heldDue = redis.call('HMGET', KEYS[4], unpack(dueIds))
  end
end
return { meta, profiles, dueIds, dueProfiles, held, heldDue, redis.call('ZCARD', KEYS[3]) }
