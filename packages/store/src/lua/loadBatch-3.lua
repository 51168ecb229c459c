--[[
  Loads everything one batch needs in one round trip: the partition's meta (offsets, stream
  time, version), the stored profiles of the batch's customers, and the customers whose due
  time has come (with their profiles) up to the batch's new stream time.

  KEYS[1] meta hash        pulse:{<ns>:p<n>}:meta
  KEYS[2] profiles hash    pulse:{<ns>:p<n>}:profiles   (customerId -> encoded profile)
  KEYS[3] due index zset   pulse:{<ns>:p<n>}:due        (customerId scored by due time, ms)

  ARGV[1] due horizon in ms: pop customers due at or before it; '-1' for none
  ARGV[2] most due customers to return
  ARGV[3..] customer ids of the batch

  Returns { metaFlat, profiles (one per id, false when absent), dueIds, dueProfiles }
]]
local meta = redis.call('HGETALL', KEYS[1])
local ids = {}
for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
local profiles = {}
if #ids > 0 then profiles = redis.call('HMGET', KEYS[2], unpack(ids)) end
local dueIds = {}
local dueProfiles = {}
if ARGV[1] ~= '-1' then
  dueIds = redis.call('ZRANGE', KEYS[3], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]))
  if #dueIds > 0 then dueProfiles = redis.call('HMGET', KEYS[2], unpack(dueIds)) end
end
return { meta, profiles, dueIds, dueProfiles }
