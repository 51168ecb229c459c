--[[
  Loads everything one batch needs in one round trip: the partition's meta (offsets, stream
  time, version), the stored profiles of the batch's customers, the customers whose due time
  has come (with their profiles) up to the batch's new stream time, the held signals of all
  those customers, and how many customers have a timer at all (the base of the storm guard).

  The caller may hold decoded profiles from its own earlier commits. When the partition's
  version is still the one it committed (nobody wrote since), their bytes are not sent again.

  Profiles and timers are cut into B buckets (B = (#KEYS - 3) / 2); a customer's bucket is
  the first 32 bits of SHA-1(customerId) mod B (`customerBucket` in src/keys.ts).

  KEYS[1] meta hash        pulse:{<ns>:p<n>}:meta
  KEYS[2] held hash        pulse:{<ns>:p<n>}:held         (customerId -> held signal)
  KEYS[3] outbox stream    pulse:{<ns>:p<n>}:outbox       (not read: the one key order)
  KEYS[4..3+B] profiles    pulse:{<ns>:p<n>}:profiles:<b> (customerId -> encoded profile)
  KEYS[4+B..3+2B] due      pulse:{<ns>:p<n>}:due:<b>      (customerId scored by due time, ms)

  ARGV[1] due horizon in ms: pop customers due at or before it; '-1' for none
  ARGV[2] most due customers to return
  ARGV[3] version the caller's cached profiles are good for; '-1' for none
  ARGV[4] U: how many of the batch's customer ids follow that the caller has not cached
  ARGV[5..4+U] those ids; then the ids of the batch's customers the caller has cached

  Returns { metaFlat, profiles (one per id: all ids when the cache is stale, else the U
            uncached ones; false when absent), dueIds (earliest due first, ties by id, as one
            sorted set would give them), dueProfiles (false for a cached one while the cache
            is good), held (one per id), heldDue (one per due id), timedCustomers,
            cacheGood (1 or 0) }
]]
local B = (#KEYS - 3) / 2
local function bucket(id) return tonumber(string.sub(redis.sha1hex(id), 1, 8), 16) % B end
local function profilesKey(id) return KEYS[4 + bucket(id)] end

local meta = redis.call('HGETALL', KEYS[1])
local version = redis.call('HGET', KEYS[1], 'version') or '0'
local cacheGood = ARGV[3] ~= '-1' and tonumber(version) == tonumber(ARGV[3])
local uncachedCount = tonumber(ARGV[4])
local ids = {}
local uncached = {}
local cached = {}
for i = 5, #ARGV do
  ids[#ids + 1] = ARGV[i]
  if i <= 4 + uncachedCount then uncached[#uncached + 1] = ARGV[i] else cached[ARGV[i]] = true end
end
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
    local values = redis.call('HMGET', KEYS[4 + b], unpack(group.ids))
    for j = 1, #group.at do profiles[group.at[j]] = values[j] end
  end
end
local held = {}
if #ids > 0 then held = redis.call('HMGET', KEYS[2], unpack(ids)) end

-- The due customers: a merge of the B due buckets, earliest first, ties by id compared byte
-- by byte (a sorted set's own order), so the first ARGV[2] are those one sorted set of the
-- whole partition would give. Each bucket is read a page at a time, as far as the merge goes;
-- the buckets wait in a binary heap keyed by the entry each would give next, so a pick costs
-- log B comparisons (scanning every bucket per pick made a big sweep's load cost ms of Lua).
local function before(a, b)
  local n = math.min(#a, #b)
  for k = 1, n do
    local x, y = string.byte(a, k), string.byte(b, k)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local dueIds = {}
local dueProfiles = {}
local heldDue = {}
if ARGV[1] ~= '-1' then
  local limit = tonumber(ARGV[2])
  local page = math.ceil(limit / B) + 8
  local cursors = {}
  local function refill(b)
    local cursor = cursors[b]
    local reply = redis.call('ZRANGE', KEYS[4 + B + b], '-inf', ARGV[1], 'BYSCORE', 'LIMIT',
      cursor.offset, page, 'WITHSCORES')
    local ids, scores = {}, {}
    for k = 1, #reply, 2 do
      ids[#ids + 1] = reply[k]
      scores[#scores + 1] = tonumber(reply[k + 1])
    end
    cursor.ids, cursor.scores, cursor.i = ids, scores, 1
    cursor.offset = cursor.offset + #ids
    cursor.done = #ids < page
  end
  local heap = {}
  local function less(a, b)
    local ca, cb = cursors[a], cursors[b]
    local sa, sb = ca.scores[ca.i], cb.scores[cb.i]
    if sa ~= sb then return sa < sb end
    return before(ca.ids[ca.i], cb.ids[cb.i])
  end
  local function siftDown(k)
    local n = #heap
    while true do
      local l = 2 * k
      local smallest = k
      if l <= n and less(heap[l], heap[smallest]) then smallest = l end
      if l + 1 <= n and less(heap[l + 1], heap[smallest]) then smallest = l + 1 end
      if smallest == k then return end
      heap[k], heap[smallest] = heap[smallest], heap[k]
      k = smallest
    end
  end
  for b = 0, B - 1 do
    cursors[b] = { offset = 0 }
    refill(b)
    if #cursors[b].ids > 0 then heap[#heap + 1] = b end
  end
  for k = math.floor(#heap / 2), 1, -1 do siftDown(k) end
  while #dueIds < limit and #heap > 0 do
    local b = heap[1]
    local cursor = cursors[b]
    dueIds[#dueIds + 1] = cursor.ids[cursor.i]
    cursor.i = cursor.i + 1
    if cursor.i > #cursor.ids and not cursor.done then refill(b) end
    if cursor.i > #cursor.ids then
      heap[1] = heap[#heap]
      heap[#heap] = nil
    end
    if #heap > 0 then siftDown(1) end
  end
  if #dueIds > 0 then
    for i, id in ipairs(dueIds) do
      if cacheGood and cached[id] then
        dueProfiles[i] = false
      else
        dueProfiles[i] = redis.call('HGET', profilesKey(id), id)
      end
    end
    heldDue = redis.call('HMGET', KEYS[2], unpack(dueIds))
  end
end
local timed = 0
for b = 0, B - 1 do timed = timed + redis.call('ZCARD', KEYS[4 + B + b]) end
return { meta, profiles, dueIds, dueProfiles, held, heldDue, timed, cacheGood and 1 or 0 }
