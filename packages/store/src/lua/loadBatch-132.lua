--[[
  Loads everything one batch needs in one round trip: the partition's meta (offsets, stream
  time, version), the stored profiles of the batch's customers, the customers whose due time
  has come (with their profiles) up to the batch's new stream time, the held signals of all
  those customers, and how many customers have a timer at all (the base of the storm guard).

  The caller may hold decoded profiles from its own earlier commits. When the partition's
  version is still the one it committed (nobody wrote since), their bytes are not sent again:
  neither for the batch's customers it holds nor for the due customers it names.

  Profiles and timers are cut into B buckets (B = (#KEYS - 4) / 2); a customer's bucket is
  the first 32 bits of SHA-1(customerId) mod B (`customerBucket` in src/keys.ts).

  KEYS[1] meta hash        pulse:{<ns>:p<n>}:meta
  KEYS[2] held hash        pulse:{<ns>:p<n>}:held         (customerId -> held signal)
  KEYS[3] outbox stream    pulse:{<ns>:p<n>}:outbox       (not read: the one key order)
  KEYS[4..3+B] profiles    pulse:{<ns>:p<n>}:profiles:<b> (customerId -> encoded profile)
  KEYS[4+B..3+2B] due      pulse:{<ns>:p<n>}:due:<b>      (customerId scored by due time, ms)
  KEYS[4+2B] due merge     pulse:{<ns>:p<n>}:due-merge    (scratch: exists only inside this
                                                          script, never replicated)

  ARGV[1] due horizon in ms: pop customers due at or before it; '-1' for none
  ARGV[2] most due customers to return
  ARGV[3] version the caller's cached profiles are good for; '-1' for none
  ARGV[4] U: how many of the batch's customer ids follow that the caller has not cached
  ARGV[5] C: how many of the batch's customer ids follow those that the caller has cached
  ARGV[6..5+U] the uncached ids; ARGV[6+U..5+U+C] the cached ones; then the ids of other
          customers the caller has cached and expects may be due (no bytes sent for them)

  Returns { metaFlat, profiles (one per batch id: all ids when the cache is stale, else the U
            uncached ones; false when absent), dueIds, dueProfiles (false for a cached one while
            the cache is good), held (one per batch id), heldDue (one per due id),
            timedCustomers, cacheGood (1 or 0), dueScores (one per due id when dueIds are not
            ordered, else empty) }
  dueIds are earliest due first, ties by id, as one sorted set would give them — except when
  every due customer fits in the limit: then they come bucket by bucket with their scores
  (dueScores), and the caller orders them (no merge needed to choose which ones).
]]
local B = (#KEYS - 4) / 2
local merge = KEYS[4 + 2 * B]
local function bucket(id) return tonumber(string.sub(redis.sha1hex(id), 1, 8), 16) % B end

-- HMGET of any number of fields, a thousand at a time: Lua's `unpack` gives at most about
-- 8,000 values, and a batch or a sweep may name more customers than that.
local PART = 1000
local function hmget(key, fields)
  if #fields <= PART then return redis.call('HMGET', key, unpack(fields)) end
  local values = {}
  for from = 1, #fields, PART do
    local part = redis.call('HMGET', key, unpack(fields, from, math.min(from + PART - 1, #fields)))
    for j = 1, #part do values[#values + 1] = part[j] end
  end
  return values
end

local meta = redis.call('HGETALL', KEYS[1])
local version = redis.call('HGET', KEYS[1], 'version') or '0'
local cacheGood = ARGV[3] ~= '-1' and tonumber(version) == tonumber(ARGV[3])
local uncachedCount = tonumber(ARGV[4])
local batchCount = uncachedCount + tonumber(ARGV[5])
local ids = {}
local uncached = {}
local cached = {}
for i = 6, 5 + batchCount do
  ids[#ids + 1] = ARGV[i]
  if i <= 5 + uncachedCount then uncached[#uncached + 1] = ARGV[i] else cached[ARGV[i]] = true end
end
for i = 6 + batchCount, #ARGV do cached[ARGV[i]] = true end
local wanted = ids
if cacheGood then wanted = uncached end

-- One HMGET per bucket the batch touches, answers put back in the order asked.
local profiles = {}
if #wanted > 0 then
  local groups = {}
  for i, id in ipairs(wanted) do
    local b = bucket(id)
    local group = groups[b]
    if not group then
      group = { ids = {}, at = {} }
      groups[b] = group
    end
    group.ids[#group.ids + 1] = id
    group.at[#group.at + 1] = i
  end
  for b, group in pairs(groups) do
    local values = hmget(KEYS[4 + b], group.ids)
    for j = 1, #group.at do profiles[group.at[j]] = values[j] end
  end
end
local held = {}
if #ids > 0 then held = hmget(KEYS[2], ids) end

-- The due customers: the first ARGV[2] that one sorted set of the whole partition would give
-- (earliest first, ties by id byte by byte). When all of them fit, every bucket's due entries go
-- back as they are and the caller orders them. When more are due, they must be chosen: the
-- buckets are read a page at a time into a scratch sorted set, which orders them in C. A merge
-- in Lua paid ~10 us a customer, most of it comparing tied ids byte by byte: a weekly look puts a
-- partition's waiting customers on one instant. A bucket that may hold more (a full page) bounds
-- what is settled: nothing it has not given yet can come before its last entry given, so the
-- entries up to the lowest such last entry are final. Buckets whose last entry lies within the
-- first ARGV[2] are read on until those are. The scratch key is local to the script: its writes
-- are not replicated.
local dueIds = {}
local dueScores = {}
local dueProfiles = {}
local heldDue = {}
local bucketOf = {}
if ARGV[1] ~= '-1' then
  local limit = tonumber(ARGV[2])
  -- Most loads find fewer due customers than the limit: all of them are taken, so none has to
  -- be chosen, and they go back unmerged with their scores (the caller orders them).
  local dueCounts = {}
  local total = 0
  for b = 0, B - 1 do
    dueCounts[b] = redis.call('ZCOUNT', KEYS[4 + B + b], '-inf', ARGV[1])
    total = total + dueCounts[b]
  end
  if total <= limit then
    for b = 0, B - 1 do
      if dueCounts[b] > 0 then
        local reply = redis.call('ZRANGE', KEYS[4 + B + b], '-inf', ARGV[1], 'BYSCORE',
          'WITHSCORES')
        for k = 1, #reply, 2 do
          dueIds[#dueIds + 1] = reply[k]
          dueScores[#dueScores + 1] = reply[k + 1]
          bucketOf[reply[k]] = b
        end
      end
    end
  else
    -- More are due than the limit: the first ARGV[2] of them, merged as described above.
    local page = math.ceil(limit / B) + 8
    redis.set_repl(redis.REPL_NONE)
    redis.call('DEL', merge)
    local offset, last, more = {}, {}, {}
    local function read(b)
      local reply = redis.call('ZRANGE', KEYS[4 + B + b], '-inf', ARGV[1], 'BYSCORE', 'LIMIT',
        offset[b], page, 'WITHSCORES')
      local n = #reply / 2
      if n > 0 then
        local entries = {}
        for k = 1, #reply, 2 do
          entries[k] = reply[k + 1]
          entries[k + 1] = reply[k]
          bucketOf[reply[k]] = b
        end
        redis.call('ZADD', merge, unpack(entries))
        last[b] = reply[#reply - 1]
      end
      offset[b] = offset[b] + n
      more[b] = n == page
    end
    for b = 0, B - 1 do
      offset[b] = 0
      read(b)
    end
    while true do
      local behind = {}
      for b = 0, B - 1 do
        if more[b] and redis.call('ZRANK', merge, last[b]) < limit - 1 then
          behind[#behind + 1] = b
        end
      end
      if #behind == 0 then break end
      for _, b in ipairs(behind) do read(b) end
    end
    dueIds = redis.call('ZRANGE', merge, 0, limit - 1)
    redis.call('DEL', merge)
    redis.set_repl(redis.REPL_ALL)
  end
  if #dueIds > 0 then
    for i, id in ipairs(dueIds) do
      if cacheGood and cached[id] then
        dueProfiles[i] = false
      else
        dueProfiles[i] = redis.call('HGET', KEYS[4 + bucketOf[id]], id)
      end
    end
    heldDue = hmget(KEYS[2], dueIds)
  end
end
local timed = 0
for b = 0, B - 1 do timed = timed + redis.call('ZCARD', KEYS[4 + B + b]) end
return { meta, profiles, dueIds, dueProfiles, held, heldDue, timed, cacheGood and 1 or 0,
  dueScores }
