--[[
  Commits one batch atomically, compare-and-set on the partition's version and owner:
  profiles, due index, outbox entries, held signals and the meta fields (next offsets, stream
  time) move together or not at all. A writer that lost the partition (owner changed) or
  raced another commit (version moved) changes nothing.

  Profiles and timers are cut into B buckets (B = (#KEYS - 3) / 2); a customer's bucket is
  the first 32 bits of SHA-1(customerId) mod B (`customerBucket` in src/keys.ts).

  KEYS[1] meta hash        pulse:{<ns>:p<n>}:meta
  KEYS[2] held hash        pulse:{<ns>:p<n>}:held
  KEYS[3] outbox stream    pulse:{<ns>:p<n>}:outbox
  KEYS[4..3+B] profiles    pulse:{<ns>:p<n>}:profiles:<b>
  KEYS[4+B..3+2B] due      pulse:{<ns>:p<n>}:due:<b>

  ARGV[1] owner token the writer holds
  ARGV[2] version the writer loaded
  ARGV[3] number of meta field/value pairs (M)
  ARGV[4] number of profiles (P)
  ARGV[5] number of due entries (D)
  ARGV[6] number of outbox entries (O)
  ARGV[7] number of held entries (H)
  then M pairs: field, value
  then P pairs: customerId, encoded profile
  then D pairs: customerId, due time in ms ('' removes the customer from the index)
  then O values: outbox payloads
  then H pairs: customerId, held signal ('' removes it)

  Returns
   >= 1  the new version (committed)
     -1  fenced: the partition has another owner now
     -2  conflict: the version moved since the load
]]
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner ~= ARGV[1] then return -1 end
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[2]) then return -2 end

local B = (#KEYS - 3) / 2
local function bucket(id) return tonumber(string.sub(redis.sha1hex(id), 1, 8), 16) % B end

local m = tonumber(ARGV[3])
local p = tonumber(ARGV[4])
local d = tonumber(ARGV[5])
local o = tonumber(ARGV[6])
local h = tonumber(ARGV[7])
local i = 8

if m > 0 then
  local fields = {}
  for _ = 1, m do
    fields[#fields + 1] = ARGV[i]
    fields[#fields + 1] = ARGV[i + 1]
    i = i + 2
  end
  redis.call('HSET', KEYS[1], unpack(fields))
end

for _ = 1, p do
  redis.call('HSET', KEYS[4 + bucket(ARGV[i])], ARGV[i], ARGV[i + 1])
  i = i + 2
end

for _ = 1, d do
  local due = KEYS[4 + B + bucket(ARGV[i])]
  if ARGV[i + 1] == '' then
    redis.call('ZREM', due, ARGV[i])
  else
    redis.call('ZADD', due, ARGV[i + 1], ARGV[i])
  end
  i = i + 2
end

for _ = 1, o do
  redis.call('XADD', KEYS[3], '*', 'v', ARGV[i])
  i = i + 1
end

for _ = 1, h do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[2], ARGV[i])
  else
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  end
  i = i + 2
end

return redis.call('HINCRBY', KEYS[1], 'version', 1)
