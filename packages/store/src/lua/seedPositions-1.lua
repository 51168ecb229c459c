--[[
  Seeds a partition's next offsets in a namespace that has no state for it yet (a replay
  starting at a point in time). Redis positions win over the consumer group's, so a replay
  `--from <time>` must write its starting offsets here before the profiler claims.

  KEYS[1] meta hash of the partition   pulse:{<ns>:p<n>}:meta

  ARGV    pairs: field (offset:<topic>), next offset

  Returns
     1  seeded
     0  refused: the partition already has state in this namespace (nothing changed)
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return 1
