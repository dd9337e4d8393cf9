package dev.thinkgate.tenant;

import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.config.GatewayConfig.StateFailure;
import dev.thinkgate.state.RedisState;
import dev.thinkgate.state.StateErrors;
import dev.thinkgate.state.StateStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Tenant admission under the current configuration: this replica's {@link TenantLimiter} when
 * {@code state.backend} is {@code local}, the {@link RedisTenantLimiter} shared by all replicas
 * when it is {@code redis} (falling back to the local limiter when Redis fails and the tenant's
 * {@code on_state_error} is {@code fail_open}). Thread-safe; a reload swaps fail modes and the
 * Redis connection for new requests, while admitted streams keep their leases.
 */
public final class TenantAdmission {
  private final Vertx vertx;
  private final StateStore store;
  private final StateErrors errors;
  private final TenantLimiter local;
  private final LongSupplier nanoClock;
  private final Timer localLatency;
  private final Timer redisLatency;
  private volatile Map<String, Boolean> failOpenByTenant = Map.of();
  private volatile boolean failOpenByDefault = true;
  private volatile RedisTenantLimiter shared;

  /** @param nanoClock monotonic nanoseconds for the local buckets and the latency timer */
  public TenantAdmission(Vertx vertx, StateStore store, StateErrors errors,
      MeterRegistry registry, LongSupplier nanoClock) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.store = Objects.requireNonNull(store, "store");
    this.errors = Objects.requireNonNull(errors, "errors");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.local = new TenantLimiter(nanoClock);
    this.localLatency = latency(registry, "local");
    this.redisLatency = latency(registry, "redis");
  }

  private static Timer latency(MeterRegistry registry, String backend) {
    return Timer.builder("thinkgate_admission")
        .description("Time to admit or reject a request under the tenant limits")
        .tag("backend", backend).publishPercentiles(0.5, 0.99).register(registry);
  }

  /** Applies the tenants' fail modes of a new valid configuration (call after the store's). */
  public void apply(GatewayConfig config) {
    Map<String, Boolean> modes = new HashMap<>();
    for (GatewayConfig.TenantConfig t : config.tenants()) {
      // the tenant's own setting, else its policy's, else the gateway's (failOpenByDefault)
      dev.thinkgate.policy.Policy policy = t.policy() == null ? null
          : config.policies().get(t.policy());
      if (t.onStateError() != null) {
        modes.put(t.name(), t.onStateError() == StateFailure.FAIL_OPEN);
      } else if (policy != null && policy.onStateError() != null) {
        modes.put(t.name(), policy.onStateError() == dev.thinkgate.policy.Policy.StateFailure.FAIL_OPEN);
      }
    }
    failOpenByTenant = Map.copyOf(modes);
    failOpenByDefault = config.state().onStateError() == StateFailure.FAIL_OPEN;
    RedisState redis = store.redis();
    if (redis != null) {
      limiterFor(redis); // loads its scripts and opens a connection before the first request
    }
  }

  /** Forgets local state of tenants no longer configured. */
  public void retainOnly(java.util.Collection<Tenant> tenants) {
    local.retainOnly(tenants);
  }

  /**
   * Admits or rejects one request; the future always succeeds, within the Redis command timeout
   * when the state is shared. Release an admission when its response ends.
   */
  public Future<Admission> acquire(Tenant tenant) {
    long start = nanoClock.getAsLong();
    RedisState redis = store.redis();
    if (redis == null) {
      Admission admission = local.tryAcquire(tenant);
      localLatency.record(nanoClock.getAsLong() - start, TimeUnit.NANOSECONDS);
      return Future.succeededFuture(admission);
    }
    boolean failOpen = failOpenByTenant.getOrDefault(tenant.name(), failOpenByDefault);
    return limiterFor(redis).acquire(tenant, failOpen).onComplete(ar ->
        redisLatency.record(nanoClock.getAsLong() - start, TimeUnit.NANOSECONDS));
  }

  /** True when {@code tenant}'s admissions fail open when Redis fails. */
  public boolean failsOpen(String tenant) {
    return failOpenByTenant.getOrDefault(tenant, failOpenByDefault);
  }

  private RedisTenantLimiter limiterFor(RedisState redis) {
    RedisTenantLimiter current = shared;
    if (current != null && current.redis() == redis) {
      return current;
    }
    synchronized (this) {
      if (shared == null || shared.redis() != redis) {
        shared = new RedisTenantLimiter(vertx, redis, local, errors);
      }
      return shared;
    }
  }
}
