package redisstore

import "github.com/redis/go-redis/v9"

// luaPrelude is prepended to every script that changes agent state, so that
// indices, time totals, leases and events are kept by one function, apply.
// ARGV[1] is always the key prefix. Lua work and each redis.call cost more
// than the commands themselves, so the hot path reads only the fields it
// needs (HMGET), writes once (HSET) and builds no tables it can avoid.
const luaPrelude = `
local P = ARGV[1]
local function akey(id) return P .. 'agent:' .. id end
local function tagsOf(id) return redis.call('SMEMBERS', akey(id) .. ':tags') end

-- nodeIndex is the READY index an agent is in by the node of its line: an
-- agent without one (ring mode) can take a call on any node.
local function nodeIndex(node)
  if not node or node == '' then return P .. 'readyany' end
  return P .. 'readynode:' .. node
end

local function unindex(id, tags, node)
  redis.call('ZREM', P .. 'ready', id)
  redis.call('ZREM', nodeIndex(node), id)
  for _, t in ipairs(tags) do redis.call('ZREM', P .. 'ready:' .. t, id) end
end

local function index(id, tags, score, node)
  redis.call('ZADD', P .. 'ready', score, id)
  redis.call('ZADD', nodeIndex(node), score, id)
  for _, t in ipairs(tags) do redis.call('ZADD', P .. 'ready:' .. t, score, id) end
end

-- setNode records the node of the agent's line, moving a READY agent
-- (state st, idle-since idle) between node indices.
local function setNode(id, st, idle, old, node)
  if (old or '') == node then return end
  if st == 'READY' then
    redis.call('ZREM', nodeIndex(old), id)
    redis.call('ZADD', nodeIndex(node), idle, id)
  end
  redis.call('HSET', akey(id), 'node', node)
end

-- read returns, in order: state, call, since, idle, seq, calls, the total of
-- state frm, mode, node.
local function read(id, frm)
  return redis.call('HMGET', akey(id), 'state', 'call', 'since', 'idle', 'seq', 'calls', 't:' .. frm, 'mode', 'node')
end

-- apply moves agent id (f = read(id, frm), state already checked) to state
-- to at now (ms; nowstr the same as a string). call is the call held
-- afterwards ('' for none); leaseto the lease deadline when entering
-- RESERVED. Returns seq, lease, idle.
local function apply(id, f, tags, frm, to, call, reason, pause, now, nowstr, leaseto)
  local el = now - (tonumber(f[3]) or now)
  if el < 0 then el = 0 end
  local seq = (tonumber(f[5]) or 0) + 1
  local upd = {'state', to, 'since', nowstr, 'reason', reason, 'call', call, 'pause', pause,
    'seq', string.format('%.0f', seq)}
  if frm == 'LOGGED_OUT' then
    for _, st in ipairs({'READY', 'RESERVED', 'RINGING', 'INCALL', 'DISPO', 'PAUSED'}) do
      upd[#upd + 1] = 't:' .. st
      upd[#upd + 1] = '0'
    end
    upd[#upd + 1] = 'login'
    upd[#upd + 1] = nowstr
  else
    upd[#upd + 1] = 't:' .. frm
    upd[#upd + 1] = string.format('%.0f', (tonumber(f[7]) or 0) + el)
  end
  if to == 'INCALL' then
    upd[#upd + 1] = 'calls'
    upd[#upd + 1] = string.format('%.0f', (tonumber(f[6]) or 0) + 1)
  elseif frm == 'LOGGED_OUT' then
    upd[#upd + 1] = 'calls'
    upd[#upd + 1] = '0'
  end

  -- A released or expired reservation keeps the agent's place in line.
  local oldidle = f[4] or ''
  local idle = ''
  if to == 'READY' then
    if (frm == 'RESERVED' or frm == 'RINGING') and oldidle ~= '' then idle = oldidle else idle = nowstr end
  elseif to == 'RESERVED' or to == 'RINGING' then
    idle = oldidle
  end
  upd[#upd + 1] = 'idle'
  upd[#upd + 1] = idle
  if frm == 'READY' then unindex(id, tags, f[9]) end
  if to == 'READY' then index(id, tags, idle, f[9]) end

  local lease = ''
  if frm == 'RESERVED' then redis.call('ZREM', P .. 'leases', id) end
  if to == 'RESERVED' then
    lease = string.format('%.0f', leaseto)
    redis.call('ZADD', P .. 'leases', lease, id)
  end
  upd[#upd + 1] = 'lease'
  upd[#upd + 1] = lease
  if to == 'LOGGED_OUT' then redis.call('ZREM', P .. 'heartbeats', id) end

  redis.call('HSET', akey(id), unpack(upd))
  local evcall = call
  if evcall == '' then evcall = f[2] or '' end
  redis.call('PUBLISH', P .. 'events', cjson.encode({agent = id, from = frm, to = to,
    reason = reason, at = nowstr, call = evcall, pause = pause, seq = seq}))
  return seq, lease, idle
end
`

// transitionScript: ARGV = P, id, from, to, call, reason, pause, now.
// The pair from->to was checked by the caller (dialer.CanTransition).
var transitionScript = redis.NewScript(luaPrelude + `
local id, frm, to, call = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local f = read(id, frm)
if not f[1] then return {'NOTFOUND'} end
local held = f[2] or ''
if f[1] ~= frm or (call ~= '' and held ~= '' and held ~= call) then
  return {'MISMATCH', f[1], held}
end
local newcall = ''
if to == 'RINGING' or to == 'INCALL' or to == 'DISPO' then
  if held ~= '' then newcall = held else newcall = call end
end
local pause = ''
if to == 'PAUSED' then pause = ARGV[7] end
local tags = tagsOf(id)
apply(id, f, tags, frm, to, newcall, ARGV[6], pause, tonumber(ARGV[8]), ARGV[8], nil)
return {'OK', redis.call('HGETALL', akey(id)), tags, id}
`)

// reserveScript: ARGV = P, now, lease ms, call, reason, named id (empty for
// longest idle), node (empty for any), tags...
// A named reservation ignores tags; otherwise the longest-idle READY agent
// having every tag is taken, scanning the smallest index. With a node, only
// an agent whose line is on that node or who has none (ring mode) is taken:
// a call on one switch node cannot be bridged to a line on another. Reply:
// {'OK', id, seq, lease, idle, mode, tags}; a named agent whose line is on
// another node: {'ELSEWHERE', node}.
var reserveScript = redis.NewScript(luaPrelude + `
local now, nowstr = tonumber(ARGV[2]), ARGV[2]
local leaseto = now + tonumber(ARGV[3])
local call, reason, named, node = ARGV[4], ARGV[5], ARGV[6], ARGV[7]

local function take(id, f)
  local tags = tagsOf(id)
  local seq, lease, idle = apply(id, f, tags, 'READY', 'RESERVED', call, reason, '', now, nowstr, leaseto)
  return {'OK', id, seq, lease, idle, f[8] or '', tags}
end

if named ~= '' then
  local f = read(named, 'READY')
  if not f[1] then return {'NOTFOUND'} end
  if f[1] ~= 'READY' then return {'MISMATCH', f[1], f[2] or ''} end
  if node ~= '' and (f[9] or '') ~= '' and f[9] ~= node then return {'ELSEWHERE', f[9]} end
  return take(named, f)
end

-- first returns the longest-idle READY agent in every index of sets, and its
-- fields; nil if none. It scans the smallest index and repairs entries
-- without a READY agent on the way.
local function first(sets)
  local idx, others = sets[1], {}
  if #sets > 1 then
    local best, bestn = 1, -1
    for i, k in ipairs(sets) do
      local n = redis.call('ZCARD', k)
      if bestn < 0 or n < bestn then best, bestn = i, n end
    end
    if bestn == 0 then return nil end
    idx = sets[best]
    for i, k in ipairs(sets) do
      if i ~= best then others[#others + 1] = k end
    end
  end
  -- Without a second index the head of the index is the answer.
  local batch = 1
  if #others > 0 then batch = 64 end
  local start = 0
  while true do
    -- String bounds: a Lua number costs a printf per argument.
    local ids
    if start == 0 and batch == 1 then
      ids = redis.call('ZRANGE', idx, '0', '0')
    else
      ids = redis.call('ZRANGE', idx, tostring(start), tostring(start + batch - 1))
    end
    if #ids == 0 then return nil end
    local rescan = false
    for _, id in ipairs(ids) do
      local ok = true
      for _, k in ipairs(others) do
        if not redis.call('ZSCORE', k, id) then ok = false break end
      end
      if ok then
        local f = read(id, 'READY')
        if f[1] == 'READY' then return id, f end
        -- An index entry without a READY agent: repair and scan again.
        unindex(id, tagsOf(id), f[9])
        redis.call('ZREM', idx, id)
        for _, k in ipairs(others) do redis.call('ZREM', k, id) end
        rescan = true
        break
      end
    end
    if rescan then start = 0 else start = start + batch end
  end
end

local tagsets = {}
for i = 8, #ARGV do tagsets[#tagsets + 1] = P .. 'ready:' .. ARGV[i] end
if node == '' then
  if #tagsets == 0 then tagsets[1] = P .. 'ready' end
  local id, f = first(tagsets)
  if not id then return {'NOAGENT'} end
  return take(id, f)
end

-- The head of the agents on the node and the head of those without a
-- line: the one idle longer (the READY order: score, then id) is taken.
local onnode, anynode = {P .. 'readynode:' .. node}, {P .. 'readyany'}
for _, k in ipairs(tagsets) do
  onnode[#onnode + 1] = k
  anynode[#anynode + 1] = k
end
local ida, fa = first(onnode)
local idb, fb = first(anynode)
if not ida and not idb then return {'NOAGENT'} end
if ida and idb then
  local sa, sb = tonumber(fa[4]) or 0, tonumber(fb[4]) or 0
  if sb < sa or (sb == sa and idb < ida) then ida, fa = idb, fb end
elseif not ida then
  ida, fa = idb, fb
end
return take(ida, fa)
`)

// setNodeScript: ARGV = P, id, node. Records the switch node of the
// agent's persistent line (empty for none).
var setNodeScript = redis.NewScript(luaPrelude + `
local id = ARGV[2]
local cur = redis.call('HMGET', akey(id), 'state', 'idle', 'node')
if not cur[1] then return {'NOTFOUND'} end
setNode(id, cur[1], cur[2], cur[3], ARGV[3])
return {'OK'}
`)

// expireScript: ARGV = P, now, limit. Returns the ids set back to READY.
var expireScript = redis.NewScript(luaPrelude + `
local now, nowstr = tonumber(ARGV[2]), ARGV[2]
local ids = redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', nowstr, 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local f = read(id, 'RESERVED')
  local lease = tonumber(redis.call('HGET', akey(id), 'lease'))
  if f[1] == 'RESERVED' and lease and lease <= now then
    apply(id, f, tagsOf(id), 'RESERVED', 'READY', '', 'lease expired', '', now, nowstr, nil)
    out[#out + 1] = id
  elseif f[1] == 'RESERVED' and lease then
    redis.call('ZADD', P .. 'leases', lease, id)
  else
    redis.call('ZREM', P .. 'leases', id)
  end
end
return out
`)

// renewScript: ARGV = P, id, call, deadline.
var renewScript = redis.NewScript(`
local P, id = ARGV[1], ARGV[2]
local h = P .. 'agent:' .. id
local cur = redis.call('HMGET', h, 'state', 'call')
if not cur[1] then return {'NOTFOUND'} end
if cur[1] ~= 'RESERVED' or cur[2] ~= ARGV[3] then return {'MISMATCH', cur[1], cur[2] or ''} end
redis.call('HSET', h, 'lease', ARGV[4])
redis.call('ZADD', P .. 'leases', ARGV[4], id)
return {'OK'}
`)

// upsertScript: ARGV = P, id, mode, now, endpoint kind, extension, phone,
// tags... Registers the agent LOGGED_OUT if new, sets mode and endpoint,
// replaces tags and, for a READY agent, its tag index entries. Only a
// persistent agent has a line on a node.
var upsertScript = redis.NewScript(luaPrelude + `
local id = ARGV[2]
local h = akey(id)
local tk = h .. ':tags'
if redis.call('EXISTS', h) == 0 then
  redis.call('HSET', h, 'state', 'LOGGED_OUT', 'since', ARGV[4], 'reason', 'registered',
    'call', '', 'pause', '', 'idle', '', 'lease', '', 'seq', 0, 'calls', 0)
  redis.call('SADD', P .. 'agents', id)
end
redis.call('HSET', h, 'mode', ARGV[3], 'endpoint', ARGV[5], 'endpoint_ext', ARGV[6], 'endpoint_phone', ARGV[7])
local want = {}
for i = 8, #ARGV do want[ARGV[i]] = true end
local cur = redis.call('HMGET', h, 'state', 'idle', 'node')
local ready = cur[1] == 'READY'
if ARGV[3] ~= 'persistent' then setNode(id, cur[1], cur[2], cur[3], '') end
for _, t in ipairs(redis.call('SMEMBERS', tk)) do
  if want[t] then
    want[t] = nil
  else
    redis.call('SREM', tk, t)
    if ready then redis.call('ZREM', P .. 'ready:' .. t, id) end
  end
end
for t in pairs(want) do
  redis.call('SADD', tk, t)
  if ready then redis.call('ZADD', P .. 'ready:' .. t, cur[2], id) end
end
return {'OK'}
`)

// removeScript: ARGV = P, id. Only a LOGGED_OUT agent can be removed.
var removeScript = redis.NewScript(`
local P, id = ARGV[1], ARGV[2]
local h = P .. 'agent:' .. id
local cur = redis.call('HMGET', h, 'state', 'call')
if not cur[1] then return {'NOTFOUND'} end
if cur[1] ~= 'LOGGED_OUT' then return {'MISMATCH', cur[1], cur[2] or ''} end
redis.call('DEL', h, h .. ':tags')
redis.call('SREM', P .. 'agents', id)
redis.call('ZREM', P .. 'heartbeats', id)
return {'OK'}
`)

// lostHeartbeatsScript: ARGV = P, now, limit. Pops agents whose deadline
// has passed.
var lostHeartbeatsScript = redis.NewScript(`
local k = ARGV[1] .. 'heartbeats'
local ids = redis.call('ZRANGEBYSCORE', k, '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
if #ids > 0 then redis.call('ZREM', k, unpack(ids)) end
return ids
`)

// restoreScript: ARGV = P, id, state, since, reason, call, pause, idle,
// lease, login, calls, seq, now, mode, t:READY..t:PAUSED (6), endpoint
// kind, extension, phone, tags...
// Writes the state as given and rebuilds the agent's index entries.
var restoreScript = redis.NewScript(luaPrelude + `
local id = ARGV[2]
local h = akey(id)
local prev = redis.call('HGET', h, 'state') or 'LOGGED_OUT'
local node = redis.call('HGET', h, 'node') or ''
if prev == 'READY' then unindex(id, tagsOf(id), node) end
if ARGV[14] ~= 'persistent' then
  node = ''
  redis.call('HSET', h, 'node', '')
end
redis.call('ZREM', P .. 'leases', id)
redis.call('DEL', h .. ':tags')
local tags = {}
for i = 24, #ARGV do
  tags[#tags + 1] = ARGV[i]
  redis.call('SADD', h .. ':tags', ARGV[i])
end
local st = ARGV[3]
redis.call('HSET', h, 'state', st, 'since', ARGV[4], 'reason', ARGV[5], 'call', ARGV[6],
  'pause', ARGV[7], 'idle', ARGV[8], 'lease', ARGV[9], 'login', ARGV[10], 'calls', ARGV[11],
  'seq', ARGV[12], 'mode', ARGV[14], 't:READY', ARGV[15], 't:RESERVED', ARGV[16],
  't:RINGING', ARGV[17], 't:INCALL', ARGV[18], 't:DISPO', ARGV[19], 't:PAUSED', ARGV[20],
  'endpoint', ARGV[21], 'endpoint_ext', ARGV[22], 'endpoint_phone', ARGV[23])
redis.call('SADD', P .. 'agents', id)
if st == 'READY' then index(id, tags, ARGV[8], node) end
if st == 'RESERVED' then redis.call('ZADD', P .. 'leases', ARGV[9], id) end
redis.call('PUBLISH', P .. 'events', cjson.encode({agent = id, from = prev, to = st,
  reason = 'restore', at = ARGV[13], call = ARGV[6], pause = ARGV[7], seq = tonumber(ARGV[12])}))
return {'OK'}
`)
