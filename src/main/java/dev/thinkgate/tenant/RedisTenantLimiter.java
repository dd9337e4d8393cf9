package dev.thinkgate.tenant;

import dev.thinkgate.state.RedisState;
import dev.thinkgate.state.StateErrors;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tenant admission shared by every replica through one Redis: the token bucket is one Lua script
 * per admission (server time, so replicas' clocks do not matter) and each admitted stream holds a
 * lease in a sorted set scored by its expiry. The replica refreshes its open leases every third of
 * the TTL, so a replica that dies frees its streams within the TTL.
 *
 * <p>Never blocks: every call is asynchronous and bounded by the command timeout. When Redis fails
 * or is slow, the caller's fail mode decides: admit under the replica's {@link TenantLimiter}
 * (local limits) or reject with {@link Admission.Reason#STATE_UNAVAILABLE}. Each such decision is
 * counted in {@link StateErrors}, which logs an outage once.
 */
public final class RedisTenantLimiter {

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

  private static final String ACQUIRE_SHA = sha1(ACQUIRE);
  private static final String REFRESH_SHA = sha1(REFRESH);

  private final Vertx vertx;
  private final RedisState redis;
  private final TenantLimiter local;
  private final StateErrors errors;
  private final long leaseTtlMs;
  private final AtomicLong stateErrors = new AtomicLong();

  /**
   * @param redis the shared Redis; its {@code lease_ttl_ms} and command timeout apply
   * @param local limits applied when failing open
   * @param errors where failures are counted and logged
   */
  public RedisTenantLimiter(Vertx vertx, RedisState redis, TenantLimiter local,
      StateErrors errors) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.redis = Objects.requireNonNull(redis, "redis");
    this.local = Objects.requireNonNull(local, "local");
    this.errors = Objects.requireNonNull(errors, "errors");
    this.leaseTtlMs = redis.config().leaseTtlMs();
    if (leaseTtlMs < 300) {
      throw new IllegalArgumentException("leaseTtlMs must be ≥ 300: " + leaseTtlMs);
    }
    // best effort: a cold pool and an unknown script would otherwise cost the first admissions
    for (String script : new String[] {ACQUIRE, REFRESH}) {
      redis.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(script));
    }
  }

  /** The Redis this limiter keeps its state in. */
  public RedisState redis() {
    return redis;
  }

  /**
   * Admits or rejects one request of {@code tenant}; the future always completes, never fails,
   * within the command timeout.
   *
   * @param failOpen when Redis fails: admit under local limits (true) or reject (false)
   */
  public Future<Admission> acquire(Tenant tenant, boolean failOpen) {
    Tenant.Limits limits = tenant.limits();
    if (limits.requestsPerMinute() == 0 && limits.maxConcurrentStreams() == 0) {
      return Future.succeededFuture(local.tryAcquire(tenant));
    }
    String leaseId = UUID.randomUUID().toString();
    String prefix = redis.keyPrefix();
    String leases = prefix + "leases:" + tenant.name();
    Object[] keysAndArgs = {2, prefix + "bucket:" + tenant.name(), leases,
        limits.requestsPerMinute(), limits.maxConcurrentStreams(), leaseId, leaseTtlMs};
    return script(ACQUIRE, ACQUIRE_SHA, keysAndArgs)
        .map(response -> decide(tenant, response, leases, leaseId))
        .recover(failure -> Future.succeededFuture(onStateError(tenant, failure, failOpen)));
  }

  /** Decisions made without Redis (fail open or fail closed) since this limiter was built. */
  public long stateErrors() {
    return stateErrors.get();
  }

  private Admission decide(Tenant tenant, Response response, String leases, String leaseId) {
    errors.answered();
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
    Admission.Admitted here = local.track(tenant);
    redis.retain();
    long refreshEvery = Math.max(100, leaseTtlMs / 3);
    long timer = vertx.setPeriodic(refreshEvery, id -> script(REFRESH, REFRESH_SHA,
            new Object[] {1, leases, leaseId, leaseTtlMs})
        .onSuccess(r -> errors.answered())
        .onFailure(e -> errors.record("lease_refresh", "skipped", e)));
    return new Admission.Admitted(() -> {
      here.release();
      vertx.cancelTimer(timer);
      // a lost release costs the tenant one stream until the lease's TTL frees it
      redis.send(Request.cmd(Command.ZREM).arg(leases).arg(leaseId))
          .onFailure(e -> errors.record("lease_release", "skipped", e))
          .onComplete(ar -> redis.release());
    });
  }

  /**
   * Runs a script by its SHA-1 (EVALSHA, a few bytes on the wire) and sends its text only when
   * this Redis does not know it yet (a fresh or restarted server answers NOSCRIPT).
   */
  private Future<Response> script(String text, String sha, Object[] keysAndArgs) {
    return redis.send(withArgs(Request.cmd(Command.EVALSHA).arg(sha), keysAndArgs))
        .recover(e -> e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT")
            ? redis.send(withArgs(Request.cmd(Command.EVAL).arg(text), keysAndArgs))
            : Future.failedFuture(e));
  }

  private static Request withArgs(Request request, Object[] args) {
    for (Object arg : args) {
      if (arg instanceof Integer i) {
        request.arg(i);
      } else if (arg instanceof Long l) {
        request.arg(l);
      } else {
        request.arg(arg.toString());
      }
    }
    return request;
  }

  private static String sha1(String text) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1")
          .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is not available", e);
    }
  }

  private Admission onStateError(Tenant tenant, Throwable failure, boolean failOpen) {
    stateErrors.incrementAndGet();
    errors.record("admission", failOpen ? "fail_open" : "fail_closed", failure);
    if (failOpen) {
      return local.tryAcquire(tenant);
    }
    return new Admission.Rejected(1, Admission.Reason.STATE_UNAVAILABLE,
        "The gateway's shared rate-limit state is unavailable; retry shortly");
  }
}
