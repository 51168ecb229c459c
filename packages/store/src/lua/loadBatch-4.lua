--[[
  Loads everything one batch needs in one round trip: the partition's meta (offsets, stream
  time, version), the stored profiles of the batch's customers, the customers whose due time
  has come (with their profiles) up to the batch's new stream time, the held signals of all
  those customers, and how many customers have a timer at all (the base of the storm guard).

  The caller may hold decoded profiles from its own earlier commits. When the partition's
  version is still the one it committed (nobody wrote since), their bytes are not sent again:
  neither for the batch's customers it holds nor for the due customers it names. Likewise the
  meta: a caller that knows the partition's version (and is its owner) holds the meta of that
  version, and gets none back.

  Profiles and timers are cut into B buckets (ARGV[1]); a customer's bucket is the first 32
  bits of SHA-1(customerId) mod B (`customerBucket` in src/keys.ts). The bucket keys are not
  declared: there are 2 x B of them, and naming them all made every call carry ~130 key names
  (most of a live batch's bytes). The script builds them from the meta key's name, so they carry
  its hash tag and live in its slot, also on Redis Cluster (the names `partitionKeys` gives).

  KEYS[1] meta hash        pulse:{<ns>:p<n>}:meta
  KEYS[2] held hash        pulse:{<ns>:p<n>}:held         (customerId -> held signal)
  KEYS[3] outbox stream    pulse:{<ns>:p<n>}:outbox       (not read: the one key order)
  KEYS[4] due merge        pulse:{<ns>:p<n>}:due-merge    (scratch: exists only inside this
                                                          script, never replicated)
  built:  profiles         pulse:{<ns>:p<n>}:profiles:<b> (customerId -> encoded profile)
          due              pulse:{<ns>:p<n>}:due:<b>      (customerId scored by due time, ms)

  ARGV[1] B: how many buckets
  ARGV[2] the caller's owner token
  ARGV[3] the version whose meta the caller holds; '-1' for none
  ARGV[4] due horizon in ms: pop customers due at or before it; '-1' for none
  ARGV[5] most due customers to return
  ARGV[6] version the caller's cached profiles are good for; '-1' for none
  ARGV[7] U: how many of the batch's customer ids follow that the caller has not cached
  ARGV[8] C: how many of the batch's customer ids follow those that the caller has cached
  ARGV[9] N: '-1' when the caller does not know the due index of the version in ARGV[3], else
          how many bucket numbers follow: those whose earliest due time is at or before the
          horizon (used only when ARGV[3] holds: the meta is known)
  ARGV[10..9+N] those buckets; then U uncached ids, C cached ones, and the ids of other
          customers the caller has cached and expects may be due (no bytes sent for them)

  Returns { metaFlat (false when ARGV[3] is the version and ARGV[2] the owner: the caller's
            meta is the partition's), profiles (one per batch id: all ids when the cache is
            stale, else the U uncached ones; false when absent), dueIds, dueProfiles (false for
            a cached one while the cache is good), held (one per batch id), heldDue (one per
            due id), timedCustomers (-1 when the caller's named buckets were used: it knows
            them), cacheGood (1 or 0), dueScores (one per due id when dueIds are not ordered,
            else empty), earliest (when timedCustomers is not -1: per bucket, its earliest due
            time, false when empty; else empty) }
  dueIds are earliest due first, ties by id, as one sorted set would give them — except when
  every due customer fits in the limit: then they come bucket by bucket with their scores
  (dueScores), and the caller orders them (no merge needed to choose which ones).
]]
local B = tonumber(ARGV[1])
local merge = KEYS[4]
local tag = string.match(KEYS[1], '^(.*):meta$')
if not tag then return redis.error_reply('ERR loadBatch: KEYS[1] is not a partition meta key') end
-- Bucket key names, each built once per call: `<tag>:profiles:<b>`, `<tag>:due:<b>`.
local names = { profiles = {}, due = {} }
local function bucketKey(kind, b)
  local key = names[kind][b]
  if not key then
    key = tag .. ':' .. kind .. ':' .. b
    names[kind][b] = key
  end
  return key
end

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

local stamp = redis.call('HMGET', KEYS[1], 'version', 'owner')
local version = stamp[1] or '0'
local meta = false
local metaKnown = ARGV[3] ~= '-1' and tonumber(version) == tonumber(ARGV[3]) and
  stamp[2] == ARGV[2]
if not metaKnown then meta = redis.call('HGETALL', KEYS[1]) end
local cacheGood = ARGV[6] ~= '-1' and tonumber(version) == tonumber(ARGV[6])
local uncachedCount = tonumber(ARGV[7])
local batchCount = uncachedCount + tonumber(ARGV[8])
local named = tonumber(ARGV[9])
local first = 10 + math.max(named, 0)
local ids = {}
local uncached = {}
local cached = {}
for i = first, first + batchCount - 1 do
  ids[#ids + 1] = ARGV[i]
  if i < first + uncachedCount then uncached[#uncached + 1] = ARGV[i] else cached[ARGV[i]] = true end
end
for i = first + batchCount, #ARGV do cached[ARGV[i]] = true end
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
    local values = hmget(bucketKey('profiles', b), group.ids)
    for j = 1, #group.at do profiles[group.at[j]] = values[j] end
  end
end
local held = {}
if #ids > 0 then held = hmget(KEYS[2], ids) end

-- The buckets that may hold due customers. A caller that knows this version's due index (the
-- store whose commit made it) names those whose earliest due time is at or before the horizon.
-- Otherwise every bucket's earliest due time and how many customers have a timer are read here
-- and sent back, for the caller's next loads: a live load then reads no bucket it need not.
local look = {}
local earliest = {}
local timed = -1
if metaKnown and named >= 0 then
  for i = 10, 9 + named do look[#look + 1] = tonumber(ARGV[i]) end
else
  timed = 0
  for b = 0, B - 1 do
    local key = bucketKey('due', b)
    local head = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    earliest[b + 1] = head[2] or false
    if head[2] then
      timed = timed + redis.call('ZCARD', key)
      if ARGV[4] ~= '-1' and tonumber(head[2]) <= tonumber(ARGV[4]) then look[#look + 1] = b end
    end
  end
end

-- The due customers: the first ARGV[5] that one sorted set of the whole partition would give
-- (earliest first, ties by id byte by byte). When all of them fit, every bucket's due entries go
-- back as they are and the caller orders them. When more are due, they must be chosen: the
-- buckets are read a page at a time into a scratch sorted set, which orders them in C. A merge
-- in Lua paid ~10 us a customer, most of it comparing tied ids byte by byte: a weekly look puts a
-- partition's waiting customers on one instant. A bucket that may hold more (a full page) bounds
-- what is settled: nothing it has not given yet can come before its last entry given, so the
-- entries up to the lowest such last entry are final. Buckets whose last entry lies within the
-- first ARGV[5] are read on until those are. The scratch key is local to the script: its writes
-- are not replicated.
local dueIds = {}
local dueScores = {}
local dueProfiles = {}
local heldDue = {}
local bucketOf = {}
if ARGV[4] ~= '-1' and #look > 0 then
  local limit = tonumber(ARGV[5])
  -- Most loads find fewer due customers than the limit: all of them are taken, so none has to
  -- be chosen, and they go back unmerged with their scores (the caller orders them).
  local dueCounts = {}
  local total = 0
  for _, b in ipairs(look) do
    dueCounts[b] = redis.call('ZCOUNT', bucketKey('due', b), '-inf', ARGV[4])
    total = total + dueCounts[b]
  end
  if total <= limit then
    for _, b in ipairs(look) do
      if dueCounts[b] > 0 then
        local reply = redis.call('ZRANGE', bucketKey('due', b), '-inf', ARGV[4], 'BYSCORE',
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
    local page = math.ceil(limit / #look) + 8
    redis.set_repl(redis.REPL_NONE)
    redis.call('DEL', merge)
    local offset, last, more = {}, {}, {}
    local function read(b)
      local reply = redis.call('ZRANGE', bucketKey('due', b), '-inf', ARGV[4], 'BYSCORE', 'LIMIT',
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
    for _, b in ipairs(look) do
      offset[b] = 0
      read(b)
    end
    while true do
      local behind = {}
      for _, b in ipairs(look) do
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
        dueProfiles[i] = redis.call('HGET', bucketKey('profiles', bucketOf[id]), id)
      end
    end
    heldDue = hmget(KEYS[2], dueIds)
  end
end
return { meta, profiles, dueIds, dueProfiles, held, heldDue, timed, cacheGood and 1 or 0,
  dueScores, earliest }
