/**
 * Lua scripts of the Redis counters. Redis runs a script atomically, so "check every hard limit,
 * then increment every counter" cannot interleave with another replica's reservation.
 * Keys come in pairs per budget: KEYS[2i-1] the counter hash {settled, reserved} in integer
 * micro-dollars, KEYS[2i] its sorted set of open reservations (member "<id>:<micros>", score =
 * expiry). Every key carries the tenant's hash tag, so one script touches one cluster slot.
 */

/** Drops expired reservations of counter pair i: shared by every script that reads a counter. */
const REAP = `
local function reap(c, z, now)
  local expired = redis.call('ZRANGEBYSCORE', z, '-inf', now)
  if #expired == 0 then return end
  local sum = 0
  for _, member in ipairs(expired) do
    sum = sum + tonumber(string.match(member, ':(%d+)$'))
  end
  redis.call('HINCRBY', c, 'reserved', -sum)
  redis.call('ZREMRANGEBYSCORE', z, '-inf', now)
end
local function committed(c)
  local v = redis.call('HMGET', c, 'settled', 'reserved')
  return (tonumber(v[1]) or 0) + (tonumber(v[2]) or 0)
end
`;

/**
 * ARGV: estimate, now, reservation expiry, member, then per pair: hard limit (-1: none), counter expiry.
 * Returns {1, committed_1..n} (after the reservation) or {0, refusing pair index, its committed}.
 */
export const RESERVE_SCRIPT = `${REAP}
local n = #KEYS / 2
local estimate = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
for i = 1, n do
  reap(KEYS[2 * i - 1], KEYS[2 * i], now)
end
for i = 1, n do
  local hard = tonumber(ARGV[3 + 2 * i])
  if hard >= 0 then
    local used = committed(KEYS[2 * i - 1])
    if used + estimate > hard then return {0, i, used} end
  end
end
local result = {1}
for i = 1, n do
  local c, z = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('HINCRBY', c, 'reserved', estimate)
  redis.call('ZADD', z, ARGV[3], ARGV[4])
  redis.call('PEXPIREAT', c, ARGV[4 + 2 * i])
  redis.call('PEXPIREAT', z, ARGV[4 + 2 * i])
  result[i + 1] = committed(c)
end
return result
`;

/**
 * Settle or release. ARGV: member, estimate, actual (0 for release), then per pair: counter expiry.
 * The estimate is removed only if the reservation is still open (not reaped), so it is never removed twice.
 */
export const FINISH_SCRIPT = `
local n = #KEYS / 2
local estimate = tonumber(ARGV[2])
local actual = tonumber(ARGV[3])
for i = 1, n do
  local c, z = KEYS[2 * i - 1], KEYS[2 * i]
  if redis.call('ZREM', z, ARGV[1]) == 1 then
    redis.call('HINCRBY', c, 'reserved', -estimate)
  end
  if actual > 0 then
    redis.call('HINCRBY', c, 'settled', actual)
  end
  redis.call('PEXPIREAT', c, ARGV[3 + i])
  redis.call('PEXPIREAT', z, ARGV[3 + i])
end
return 1
`;

/** ARGV: ledger spend, mode ('raise' | 'set'), counter expiry. */
export const CORRECT_SCRIPT = `
local spent = tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'settled')) or 0
if ARGV[2] == 'set' or spent > current then
  redis.call('HSET', KEYS[1], 'settled', spent)
end
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
redis.call('PEXPIREAT', KEYS[2], ARGV[3])
return 1
`;

/** ARGV: now. Returns {settled, reserved} after dropping expired reservations. */
export const USAGE_SCRIPT = `${REAP}
reap(KEYS[1], KEYS[2], tonumber(ARGV[1]))
local v = redis.call('HMGET', KEYS[1], 'settled', 'reserved')
return {tonumber(v[1]) or 0, tonumber(v[2]) or 0}
`;
