--[[
  Reads what an operator needs to judge a partition's health, in one consistent snapshot: the
  meta hash, the outbox's depth and its oldest entry id (the id carries the Redis time it was
  added), the held lapses, and the timers — all of them, and those already due at the
  partition's stream time (waiting for the next sweep). Changes nothing.

  KEYS[1] meta hash        pulse:{<ns>:p<n>}:meta
  KEYS[2] profiles hash    pulse:{<ns>:p<n>}:profiles   (not read: the one key order)
  KEYS[3] due index zset   pulse:{<ns>:p<n>}:due
  KEYS[4] held hash        pulse:{<ns>:p<n>}:held
  KEYS[5] outbox stream    pulse:{<ns>:p<n>}:outbox

  No ARGV.

  Returns { metaFlat, outboxLength, oldestOutboxId (false when empty), heldCount, timers,
            timersDue (0 when the partition has no stream time yet) }
]]
local meta = redis.call('HGETALL', KEYS[1])
local streamTime = redis.call('HGET', KEYS[1], 'streamTimeMs')
local due = 0
if streamTime then due = redis.call('ZCOUNT', KEYS[3], '-inf', streamTime) end
local oldest = redis.call('XRANGE', KEYS[5], '-', '+', 'COUNT', 1)
local oldestId = false
if #oldest > 0 then oldestId = oldest[1][1] end
return {
  meta,
  redis.call('XLEN', KEYS[5]),
  oldestId,
  redis.call('HLEN', KEYS[4]),
  redis.call('ZCARD', KEYS[3]),
  due,
}
