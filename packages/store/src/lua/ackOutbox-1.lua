--[[
  Removes outbox entries the relay has produced to Kafka (acks=all).

  KEYS[1] outbox stream    pulse:{<ns>:p<n>}:outbox

  ARGV[1..] stream entry ids

  Returns the number of entries removed.
]]
-- A thousand ids per XDEL: Lua's `unpack` gives at most about 8,000 values.
local removed = 0
for from = 1, #ARGV, 1000 do
  removed = removed + redis.call('XDEL', KEYS[1], unpack(ARGV, from, math.min(from + 999, #ARGV)))
end
return removed
