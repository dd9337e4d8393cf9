package dev.thinkgate.tenant;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Tenant admission shared by every replica through one Redis: the token bucket is one Lua script
 * per admission (server time, so replicas' clocks do not matter) and each admitted stream holds a
 * lease in a sorted set scored by its expiry. The replica refreshes its open leases every third of
 * the TTL, so a replica that dies frees its streams within the TTL.
 *
 * <p>Never blocks: every call is asynchronous and bounded by {@code timeoutMs}. When Redis fails or
 * is slow, {@code failOpen} decides: admit under the replica's {@link TenantLimiter} (local limits)
 * or reject with {@link Admission.Reason#STATE_UNAVAILABLE}. Each such decision is counted; the
 * first of an episode is logged, and so is the recovery.
 */
public final class RedisTenantLimiter {
  private static final Logger LOG = Logger.getLogger(RedisTenantLimiter.class.getName());

  /** KEYS: bucket hash, lease zset. ARGV: rpm, max streams, lease id, lease ttl ms. */
  static final String ACQUIRE = """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local rpm = tonumber(ARGV[1])
      local maxs = tonumber(ARGV[2])
      local ttl = tonumber(ARGV[4])
      if maxs > 0 then
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
        if redis.call('ZCARD', KEYS[2]) >= maxs then return {2, 1000} end
      end
      if rpm > 0 then
        local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
        local tokens = tonumber(b[1])
        local ts = tonumber(b[2])
        if tokens == nil or ts == nil then tokens = rpm; ts = now end
        local rate = rpm / 60000.0
        if now > ts then tokens = math.min(rpm, tokens + (now - ts) * rate); ts = now end
        if tokens < 1 then
          redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', ts)
          redis.call('PEXPIRE', KEYS[1], 120000)
          return {1, math.ceil((1 - tokens) / rate)}
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'ts', ts)
        redis.call('PEXPIRE', KEYS[1], 120000)
      end
      if maxs > 0 then
        redis.call('ZADD', KEYS[2], now + ttl, ARGV[3])
        redis.call('PEXPIRE', KEYS[2], ttl * 2)
      end
      return {0, 0}
      """;

  /** KEYS: lease zset. ARGV: lease id, ttl ms. Extends a lease that still exists. */
  static final String REFRESH = """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local ttl = tonumber(ARGV[2])
      local n = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + ttl, ARGV[1])
      redis.call('PEXPIRE', KEYS[1], ttl * 2)
      return n
      """;

  private final Vertx vertx;
  private final Redis redis;
  private final TenantLimiter local;
  private final String keyPrefix;
  private final long leaseTtlMs;
  private final long timeoutMs;
  private final boolean failOpen;
  private final AtomicLong stateErrors = new AtomicLong();
  private final AtomicBoolean degraded = new AtomicBoolean();

  /**
   * @param redis a client for the shared Redis (the caller owns and closes it)
   * @param local limits applied when failing open
   * @param keyPrefix prefix of every key, e.g. {@code thinkgate:}
   * @param leaseTtlMs how long a crashed replica's stream keeps its lease; ≥ 300
   * @param timeoutMs bound on one Redis call; ≥ 1
   * @param failOpen admit under local limits when Redis fails (else reject)
   */
  public RedisTenantLimiter(Vertx vertx, Redis redis, TenantLimiter local, String keyPrefix,
      long leaseTtlMs, long timeoutMs, boolean failOpen) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.redis = Objects.requireNonNull(redis, "redis");
    this.local = Objects.requireNonNull(local, "local");
    this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix");
    if (leaseTtlMs < 300) {
      throw new IllegalArgumentException("leaseTtlMs must be ≥ 300: " + leaseTtlMs);
    }
    if (timeoutMs < 1) {
      throw new IllegalArgumentException("timeoutMs must be ≥ 1: " + timeoutMs);
    }
    this.leaseTtlMs = leaseTtlMs;
    this.timeoutMs = timeoutMs;
    this.failOpen = failOpen;
  }

  /** Admits or rejects one request of {@code tenant}; the future always completes, never fails. */
  public Future<Admission> acquire(Tenant tenant) {
    Tenant.Limits limits = tenant.limits();
    if (limits.requestsPerMinute() == 0 && limits.maxConcurrentStreams() == 0) {
      return Future.succeededFuture(local.tryAcquire(tenant));
    }
    String leaseId = UUID.randomUUID().toString();
    String leases = keyPrefix + "leases:" + tenant.name();
    Request request = Request.cmd(Command.EVAL).arg(ACQUIRE).arg(2)
        .arg(keyPrefix + "bucket:" + tenant.name()).arg(leases)
        .arg(limits.requestsPerMinute()).arg(limits.maxConcurrentStreams())
        .arg(leaseId).arg(leaseTtlMs);
    return redis.send(request).timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .map(response -> decide(tenant, response, leases, leaseId))
        .recover(failure -> Future.succeededFuture(onStateError(tenant, failure)));
  }

  /** Decisions made without Redis (fail open or fail closed) since this limiter was built. */
  public long stateErrors() {
    return stateErrors.get();
  }

  private Admission decide(Tenant tenant, Response response, String leases, String leaseId) {
    if (degraded.compareAndSet(true, false)) {
      LOG.info("shared state (Redis) answers again; shared tenant limits apply");
    }
    long code = response.get(0).toLong();
    long waitMs = response.get(1).toLong();
    Tenant.Limits limits = tenant.limits();
    if (code == 2) {
      return new Admission.Rejected(1, Admission.Reason.CONCURRENT_STREAMS, "Tenant '"
          + tenant.name() + "' already has " + limits.maxConcurrentStreams()
          + " concurrent requests in flight, its limit; retry when one finishes");
    }
    if (code == 1) {
      long seconds = Math.max(1, (waitMs + 999) / 1000);
      return new Admission.Rejected(seconds, Admission.Reason.REQUESTS_PER_MINUTE, "Tenant '"
          + tenant.name() + "' exceeded its limit of " + limits.requestsPerMinute()
          + " requests per minute; retry in " + seconds + " s");
    }
    if (limits.maxConcurrentStreams() == 0) {
      return new Admission.Admitted(() -> { });
    }
    long refreshEvery = Math.max(100, leaseTtlMs / 3);
    long timer = vertx.setPeriodic(refreshEvery, id -> redis.send(Request.cmd(Command.EVAL)
        .arg(REFRESH).arg(1).arg(leases).arg(leaseId).arg(leaseTtlMs))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS));
    return new Admission.Admitted(() -> {
      vertx.cancelTimer(timer);
      redis.send(Request.cmd(Command.ZREM).arg(leases).arg(leaseId));
    });
  }

  private Admission onStateError(Tenant tenant, Throwable failure) {
    stateErrors.incrementAndGet();
    if (degraded.compareAndSet(false, true)) {
      LOG.warning("shared state (Redis) failed (" + failure + "); failing "
          + (failOpen ? "open under local limits" : "closed") + " until it answers");
    }
    if (failOpen) {
      return local.tryAcquire(tenant);
    }
    return new Admission.Rejected(1, Admission.Reason.STATE_UNAVAILABLE,
        "The gateway's shared rate-limit state is unavailable; retry shortly");
  }
}
