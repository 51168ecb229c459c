--[[
  Right to be forgotten, for one partition of one namespace: deletes the customer's profile,
  timer, held signal and the outbox entries not yet relayed (signals about them, dead letters
  keyed by them). Bumps the partition's version, so a commit loaded before this call fails
  its compare-and-set and is recomputed (and then skips the customer), and stamps the
  forgotten-set generation, so the owner knows to refresh its copy of the set.

  KEYS[1] meta hash        pulse:{<ns>:p<n>}:meta
  KEYS[2] held hash        pulse:{<ns>:p<n>}:held
  KEYS[3] outbox stream    pulse:{<ns>:p<n>}:outbox
  KEYS[4] profiles bucket  pulse:{<ns>:p<n>}:profiles:<b>  (the customer's bucket)
  KEYS[5] due bucket       pulse:{<ns>:p<n>}:due:<b>       (the customer's bucket)

  ARGV[1] customer id
  ARGV[2] generation of the forgotten set after adding this customer

  Returns { profiles deleted, timers deleted, held deleted, outbox entries deleted }
]]
local id = ARGV[1]
local profiles = redis.call('HDEL', KEYS[4], id)
local timers = redis.call('ZREM', KEYS[5], id)
local held = redis.call('HDEL', KEYS[2], id)
local outbox = 0
for _, entry in ipairs(redis.call('XRANGE', KEYS[3], '-', '+')) do
  local ok, decoded = pcall(cjson.decode, entry[2][2])
  if ok and type(decoded) == 'table' then
    local about = decoded['key']
    if decoded['type'] == 'signal' and type(decoded['signal']) == 'table' then
      about = decoded['signal']['customerId']
    end
    if about == id then outbox = outbox + redis.call('XDEL', KEYS[3], entry[1]) end
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'forgottenGeneration', ARGV[2])
  redis.call('HINCRBY', KEYS[1], 'version', 1)
end
return { profiles, timers, held, outbox }
