--[[
  Moves customers of one partition from the single-key layout (one profiles hash, one due
  sorted set) into the buckets, a chunk at a time (`pulse namespace migrate`): each given
  customer's profile and timer leave the old keys and land in their buckets in one step, so
  an interrupted migration resumes where it stopped and a customer is never in both or none.

  Profiles and timers are cut into B buckets (B = (#KEYS - 2) / 2); a customer's bucket is
  the first 32 bits of SHA-1(customerId) mod B (`customerBucket` in src/keys.ts).

  KEYS[1] old profiles hash  pulse:{<ns>:p<n>}:profiles
  KEYS[2] old due zset       pulse:{<ns>:p<n>}:due
  KEYS[3..2+B] profiles      pulse:{<ns>:p<n>}:profiles:<b>
  KEYS[3+B..2+2B] due        pulse:{<ns>:p<n>}:due:<b>

  ARGV[1..] customer ids

  Returns { profiles moved, timers moved, old profiles left, old timers left }
]]
local B = (#KEYS - 2) / 2
local movedProfiles = 0
local movedTimers = 0
for _, id in ipairs(ARGV) do
  local b = tonumber(string.sub(redis.sha1hex(id), 1, 8), 16) % B
  local profile = redis.call('HGET', KEYS[1], id)
  if profile then
    redis.call('HSET', KEYS[3 + b], id, profile)
    redis.call('HDEL', KEYS[1], id)
    movedProfiles = movedProfiles + 1
  end
  local due = redis.call('ZSCORE', KEYS[2], id)
  if due then
    redis.call('ZADD', KEYS[3 + B + b], due, id)
    redis.call('ZREM', KEYS[2], id)
    movedTimers = movedTimers + 1
  end
end
return { movedProfiles, movedTimers, redis.call('HLEN', KEYS[1]), redis.call('ZCARD', KEYS[2]) }
