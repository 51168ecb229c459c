--[[
  Removes outbox entries the relay has produced to Kafka (acks=all).

  KEYS[1] outbox stream    pulse:{<ns>:p<n>}:outbox

  ARGV[1..] stream entry ids

  Returns the number of entries removed.
]]
if #ARGV == 0 then return 0 end
return redis.call('XDEL', KEYS[1], unpack(ARGV))
