package dev.thinkgate.proxy;

import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.config.GatewayConfig.GuardConfig;
import dev.thinkgate.config.GatewayConfig.RouteConfig;
import dev.thinkgate.config.GatewayConfig.Timeouts;
import dev.thinkgate.guard.Guard;
import dev.thinkgate.guard.Guards;
import dev.thinkgate.metrics.GatewayMetrics;
import dev.thinkgate.tenant.TenantRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What serves requests under one configuration: tenants, routes bound to HTTP clients, guards.
 * A reload builds a new snapshot; open streams keep the one they started with. HTTP clients and
 * guards are shared across snapshots while their configuration is unchanged, so a reload does
 * not drop connection pools, breaker state or verdict caches.
 */
final class GatewayRuntime {
  private final GatewayConfig config;
  private final TenantRegistry tenants;
  private final List<UpstreamRoute> routes;
  private final Map<String, Guard> guards;

  private GatewayRuntime(GatewayConfig config, TenantRegistry tenants, List<UpstreamRoute> routes,
      Map<String, Guard> guards) {
    this.config = config;
    this.tenants = tenants;
    this.routes = routes;
    this.guards = guards;
  }

  GatewayConfig config() {
    return config;
  }

  TenantRegistry tenants() {
    return tenants;
  }

  List<UpstreamRoute> routes() {
    return routes;
  }

  Guard guard(String name) {
    return guards.get(name);
  }

  Optional<UpstreamRoute> route(String model) {
    for (UpstreamRoute r : routes) {
      if (r.config().matches(model)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  /** Builds snapshots, reusing clients and guards whose configuration did not change. */
  static final class Factory {
    private final Vertx vertx;
    private final GatewayMetrics metrics;
    private final Function<String, String> env;
    private final String defaultPolicy;
    /** A route's client for plain requests, and the one context they are made on. */
    private record RouteClient(HttpClientAgent agent, dev.thinkgate.http.ClientContext context) {}

    private final Map<String, RouteClient> clients = new ConcurrentHashMap<>();
    private final Map<String, UpstreamPools> pools = new ConcurrentHashMap<>();
    /** One set of meters an upstream, over every pools object that reaches it. */
    private final Map<String, UpstreamMeters> meters = new ConcurrentHashMap<>();
    private final Map<GuardConfig, Guard> guardCache = new ConcurrentHashMap<>();

    /** The Redis of guards with {@code shared_cache}; supplies null while state is local. */
    private final java.util.function.Supplier<dev.thinkgate.state.RedisState> sharedState;
    private final dev.thinkgate.state.StateErrors stateErrors;

    /** @param defaultPolicy the policy of the anonymous tenant when auth is off */
    Factory(Vertx vertx, GatewayMetrics metrics, Function<String, String> env, String defaultPolicy) {
      this(vertx, metrics, env, defaultPolicy, () -> null,
          new dev.thinkgate.state.StateErrors(metrics.registry()));
    }

    Factory(Vertx vertx, GatewayMetrics metrics, Function<String, String> env, String defaultPolicy,
        java.util.function.Supplier<dev.thinkgate.state.RedisState> sharedState,
        dev.thinkgate.state.StateErrors stateErrors) {
      this.sharedState = sharedState;
      this.stateErrors = stateErrors;
      this.vertx = vertx;
      this.metrics = metrics;
      this.env = env;
      this.defaultPolicy = defaultPolicy;
    }

    GatewayRuntime build(GatewayConfig config) {
      return build(config, 1);
    }

    /**
     * The snapshot of {@code config}. What an earlier snapshot used and this one does not (a
     * route's HTTP client and connection pools, a guard whose settings changed or that is gone)
     * is retired: it keeps serving the requests that began before, keeps no connection idle, and
     * closes after {@code drainMs}. A retired guard's gauges leave the registry before its
     * replacement registers its own.
     */
    GatewayRuntime build(GatewayConfig config, long drainMs) {
      java.util.Set<GuardConfig> wantedGuards = new java.util.HashSet<>(config.guards().values());
      for (Map.Entry<GuardConfig, Guard> e : List.copyOf(guardCache.entrySet())) {
        if (!wantedGuards.contains(e.getKey()) && guardCache.remove(e.getKey(), e.getValue())) {
          e.getValue().retire(drainMs);
        }
      }
      java.util.Set<String> clientKeys = new java.util.HashSet<>();
      java.util.Set<String> poolKeys = new java.util.HashSet<>();
      List<UpstreamRoute> routes = new ArrayList<>();
      for (RouteConfig rc : config.routes()) {
        String base = UpstreamRoute.normalizeBase(rc.upstream());
        int connectMs = (int) Math.min(Integer.MAX_VALUE, rc.timeouts().connectMs());
        long maxAgeMs = rc.timeouts().maxConnectionAgeMs();
        String key = base + "|" + connectMs;
        clientKeys.add(key);
        poolKeys.add(key + "|" + maxAgeMs);
        RouteClient client = clients.computeIfAbsent(key, k -> new RouteClient(
            vertx.createHttpClient(new HttpClientOptions()
                    .setConnectTimeout(connectMs)
                    .setKeepAlive(true)
                    .setTcpNoDelay(true)
                    .setDecompressionSupported(false),
                new PoolOptions().setHttp1MaxSize(16)),
            new dev.thinkgate.http.ClientContext(vertx)));
        // the pools also by maximum age (Vert.x's client, for probes and health checks, has none)
        UpstreamPools routePools = pools.computeIfAbsent(key + "|" + maxAgeMs,
            k -> {
              UpstreamOrigin origin = UpstreamOrigin.parse(base);
              UpstreamMeters upstreamMeters = meters.computeIfAbsent(
                  UpstreamPools.meterTag(origin), tag -> new UpstreamMeters(metrics.registry(), tag));
              return new UpstreamPools(vertx, origin, connectMs, upstreamMeters,
                  UpstreamPool.Lifecycle.defaults(Timeouts.DEFAULT_POOL_ACQUIRE_MS, maxAgeMs));
            });
        String apiKey = rc.apiKeyEnv() == null ? null : env.apply(rc.apiKeyEnv());
        routes.add(new UpstreamRoute(rc, client.agent(), client.context(), routePools, base,
            apiKey));
      }
      Map<String, Guard> guards = new HashMap<>();
      config.guards().forEach((name, gc) -> guards.put(name,
          guardCache.computeIfAbsent(gc, c -> Guards.create(c, vertx, metrics.registry(), env,
              sharedState, stateErrors,
              (url, authorization, connectMs) -> new PooledHttp1Client(vertx, url, connectMs,
                  authorization)))));
      for (Map.Entry<String, RouteClient> e : List.copyOf(clients.entrySet())) {
        if (!clientKeys.contains(e.getKey()) && clients.remove(e.getKey(), e.getValue())) {
          e.getValue().agent().shutdown(Math.max(1, drainMs),
              java.util.concurrent.TimeUnit.MILLISECONDS);
        }
      }
      for (Map.Entry<String, UpstreamPools> e : List.copyOf(pools.entrySet())) {
        if (!poolKeys.contains(e.getKey()) && pools.remove(e.getKey(), e.getValue())) {
          e.getValue().retire(drainMs);
        }
      }
      return new GatewayRuntime(config, new TenantRegistry(config, defaultPolicy), List.copyOf(routes),
          Map.copyOf(guards));
    }

    void close() {
      clients.values().forEach(c -> c.agent().close());
      pools.values().forEach(UpstreamPools::close);
    }
  }
}
