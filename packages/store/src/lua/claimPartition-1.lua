--[[
  Claims a partition's state for a new owner (called when the partition is assigned).
  Any writer still holding an older owner token is fenced: its next commit fails.

  KEYS[1] meta hash of the partition   pulse:{<ns>:p<n>}:meta

  ARGV[1] owner token of the new owner (member id + generation + random)

  Returns the meta hash after the claim, as a flat field/value array.
]]
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'version', 1)
return redis.call('HGETALL', KEYS[1])
