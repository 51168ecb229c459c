--[[
  Reads what an operator needs to judge a partition's health, in one consistent snapshot: the
  meta hash, the outbox's depth and its oldest entry id (the id carries the Redis time it was
  added), the held lapses, and the timers — all of them, and those already due at the
  partition's stream time (waiting for the next sweep). Changes nothing.

  KEYS[1] meta hash        pulse:{<ns>:p<n>}:meta
  KEYS[2] held hash        pulse:{<ns>:p<n>}:held
  KEYS[3] outbox stream    pulse:{<ns>:p<n>}:outbox
  KEYS[4..3+B] profiles    pulse:{<ns>:p<n>}:profiles:<b>  (not read: the one key order)
  KEYS[4+B..3+2B] due      pulse:{<ns>:p<n>}:due:<b>       (B = (#KEYS - 3) / 2)

  No ARGV.

  Returns { metaFlat, outboxLength, oldestOutboxId (false when empty), heldCount, timers,
            timersDue (0 when the partition has no stream time yet) }
]]
local B = (#KEYS - 3) / 2
local meta = redis.call('HGETALL', KEYS[1])
local streamTime = redis.call('HGET', KEYS[1], 'streamTimeMs')
local timers = 0
local due = 0
for b = 0, B - 1 do
  timers = timers + redis.call('ZCARD', KEYS[4 + B + b])
  if streamTime then due = due + redis.call('ZCOUNT', KEYS[4 + B + b], '-inf', streamTime) end
end
local oldest = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)
local oldestId = false
if #oldest > 0 then oldestId = oldest[1][1] end
return {
  meta,
  redis.call('XLEN', KEYS[3]),
  oldestId,
  redis.call('HLEN', KEYS[2]),
  timers,
  due,
}
