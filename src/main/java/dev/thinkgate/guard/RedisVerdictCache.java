package dev.thinkgate.guard;

import dev.thinkgate.state.RedisState;
import dev.thinkgate.state.StateErrors;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The second level of a guard's verdict cache ({@code guards.<name>.shared_cache: true}): verdicts
 * in the Redis all replicas share, under {@code <key_prefix>verdict:<guard>:<sha256 of the exact
 * guard prompt>} with the guard's {@code cache_ttl_ms}, so a verdict paid for on one replica is a
 * hit on the others. Values are {@code safe} or {@code unsafe:S1,S10}.
 *
 * <p>Never fails a judgement: a Redis error or timeout is counted (here and in
 * {@link StateErrors}) and reads as a miss, so the guard is called.
 */
public final class RedisVerdictCache {
  private final String guard;
  private final Supplier<RedisState> redis;
  private final StateErrors errors;
  private final long ttlMs;
  private final Counter hits;
  private final Counter misses;
  private final Counter failures;

  /** @param redis the current shared Redis, or null while the state is local */
  public RedisVerdictCache(String guard, Supplier<RedisState> redis, StateErrors errors,
      long ttlMs, MeterRegistry registry) {
    this.guard = Objects.requireNonNull(guard, "guard");
    this.redis = Objects.requireNonNull(redis, "redis");
    this.errors = Objects.requireNonNull(errors, "errors");
    if (ttlMs < 1) {
      throw new IllegalArgumentException("ttlMs must be ≥ 1: " + ttlMs);
    }
    this.ttlMs = ttlMs;
    hits = counter(registry, "hit");
    misses = counter(registry, "miss");
    failures = counter(registry, "error");
  }

  private Counter counter(MeterRegistry registry, String result) {
    return Counter.builder("thinkgate.guard.cache.l2").tag("guard", guard).tag("result", result)
        .description("Shared (Redis) verdict cache lookups after a miss in this replica's cache")
        .register(registry);
  }

  /** The cached verdict, or null on a miss, a Redis error or timeout; never fails. */
  public Future<GuardVerdict> get(String sha256) {
    RedisState r = redis.get();
    if (r == null) {
      return Future.succeededFuture(null);
    }
    return r.send(Request.cmd(Command.GET).arg(key(r, sha256)))
        .map(response -> {
          errors.answered();
          GuardVerdict verdict = response == null ? null : parse(response);
          (verdict == null ? misses : hits).increment();
          return verdict;
        })
        .recover(e -> {
          failures.increment();
          errors.record("cache_get", "guard_called", e);
          return Future.succeededFuture(null);
        });
  }

  /** Stores a verdict with the guard's TTL; best effort. */
  public void put(String sha256, GuardVerdict verdict) {
    RedisState r = redis.get();
    if (r == null) {
      return;
    }
    String value = verdict.safe() ? "safe" : "unsafe:" + String.join(",", verdict.categories());
    r.send(Request.cmd(Command.SET).arg(key(r, sha256)).arg(value).arg("PX").arg(ttlMs))
        .onFailure(e -> {
          failures.increment();
          errors.record("cache_put", "skipped", e);
        });
  }

  public long hitCount() {
    return (long) hits.count();
  }

  public long missCount() {
    return (long) misses.count();
  }

  public long errorCount() {
    return (long) failures.count();
  }

  private String key(RedisState r, String sha256) {
    return r.keyPrefix() + "verdict:" + guard + ":" + sha256;
  }

  /** A stored value, or null for anything else (read as a miss rather than trusted). */
  static GuardVerdict parse(Response response) {
    String value = response.toString();
    if ("safe".equals(value)) {
      return new GuardVerdict(true, List.of(), 0, true);
    }
    if (value != null && value.startsWith("unsafe:")) {
      String codes = value.substring("unsafe:".length());
      List<String> categories = codes.isEmpty() ? List.of() : Arrays.asList(codes.split(","));
      return new GuardVerdict(false, categories, 0, true);
    }
    return null;
  }
}
