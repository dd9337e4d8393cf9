package dev.thinkgate.config;

import dev.thinkgate.config.GatewayConfig.GuardConfig;
import dev.thinkgate.config.GatewayConfig.RedisConfig;
import dev.thinkgate.config.GatewayConfig.StateBackend;
import dev.thinkgate.config.GatewayConfig.StateConfig;
import dev.thinkgate.config.GatewayConfig.StateFailure;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.TreeMap;

/** Parses and checks the {@code state:} section of {@code conf/thinkgate.yaml}. */
final class StateSection {
  private static final String URL_RULE =
      "a redis:// or rediss:// URL such as redis://127.0.0.1:6379";

  private StateSection() {}

  /** The state settings under {@code n}; {@link StateConfig#LOCAL} when the section is absent. */
  static StateConfig parse(ConfigNode n) {
    if (n == null) {
      return StateConfig.LOCAL;
    }
    StateBackend backend = n.enumValue("backend", StateBackend.class, StateBackend.LOCAL);
    StateFailure onError = n.enumValue("on_state_error", StateFailure.class, StateFailure.FAIL_OPEN);
    ConfigNode r = n.object("redis");
    RedisConfig redis = null;
    if (r != null) {
      redis = redis(r);
    } else if (backend == StateBackend.REDIS && !n.has("redis")) {
      n.error("redis", "is missing; allowed: a mapping with at least url (" + URL_RULE
          + ") when backend is redis");
    }
    n.finish();
    return new StateConfig(backend, onError, redis);
  }

  private static RedisConfig redis(ConfigNode n) {
    RedisConfig d = RedisConfig.DEFAULT;
    String url = n.requiredString("url", URL_RULE);
    if (url != null && !isRedisUrl(url)) {
      n.error("url", ConfigNode.quote(url) + " is not a Redis URL; allowed: " + URL_RULE);
    }
    long connectMs = n.longInteger("connect_timeout_ms", d.connectTimeoutMs(), 1, 600_000);
    long commandMs = n.longInteger("command_timeout_ms", d.commandTimeoutMs(), 1, 600_000);
    long leaseTtlMs = n.longInteger("lease_ttl_ms", d.leaseTtlMs(), 300, 86_400_000);
    if (leaseTtlMs < 3 * commandMs) {
      // refreshes run every third of the TTL: one must be able to finish before the next
      n.error("lease_ttl_ms", leaseTtlMs + " is less than three times command_timeout_ms ("
          + commandMs + "); allowed: at least " + 3 * commandMs);
    }
    String prefix = n.string("key_prefix", d.keyPrefix());
    int pool = n.integer("max_pool_size", d.maxPoolSize(), 1, 10_000);
    n.finish();
    return new RedisConfig(url, connectMs, commandMs, leaseTtlMs, prefix, pool);
  }

  private static boolean isRedisUrl(String url) {
    try {
      URI uri = new URI(url);
      return ("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme()))
          && uri.getHost() != null;
    } catch (URISyntaxException e) {
      return false;
    }
  }

  /** A guard's shared cache lives in Redis, so it needs the redis backend. */
  static void checkSharedCaches(ConfigNode root, StateConfig state, Map<String, GuardConfig> guards) {
    for (GuardConfig guard : new TreeMap<>(guards).values()) {
      if (guard.sharedCache() && guard.cacheMaxEntries() == 0) {
        root.errorAt("guards." + guard.name() + ".shared_cache", "true, but cache_max_entries is"
            + " 0 (no verdict cache); allowed: false, or cache_max_entries of at least 1");
      } else if (guard.sharedCache() && !state.shared()) {
        root.errorAt("guards." + guard.name() + ".shared_cache", "true, but state.backend is "
            + "local; allowed: false, or set state.backend: redis with state.redis.url");
      }
    }
  }
}
