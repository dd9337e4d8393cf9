package dev.thinkgate.state;

import dev.thinkgate.config.GatewayConfig.StateConfig;
import io.vertx.core.Vertx;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The gateway's link to its shared state backend under the current configuration: none for
 * {@code state.backend: local}, a {@link RedisState} for {@code redis}. A reload with unchanged
 * Redis settings keeps the pool; changed settings open a new one and retire the old one, which
 * closes once the streams that hold leases through it have ended.
 */
public final class StateStore implements AutoCloseable {
  private static final java.util.logging.Logger LOG =
      java.util.logging.Logger.getLogger(StateStore.class.getName());
  private final Vertx vertx;
  private final AtomicReference<RedisState> redis = new AtomicReference<>();

  public StateStore(Vertx vertx) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
  }

  /** Applies the {@code state:} section of a new valid configuration. */
  public synchronized void apply(StateConfig state) {
    RedisState current = redis.get();
    if (!state.shared()) {
      redis.set(null);
      if (current != null) {
        current.release();
      }
      return;
    }
    if (current != null && current.config().equals(state.redis())) {
      return;
    }
    redis.set(RedisState.connect(vertx, state.redis()));
    LOG.info("shared state: Redis at " + hostOf(state.redis().url()) + ", keys "
        + state.redis().keyPrefix() + "*, on_state_error " + state.onStateError().name()
        .toLowerCase(java.util.Locale.ROOT) + " unless a tenant says otherwise");
    if (current != null) {
      current.release();
    }
  }

  /** host:port of a Redis URL, so a password in it never reaches a log. */
  static String hostOf(String url) {
    try {
      java.net.URI uri = new java.net.URI(url);
      return uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
    } catch (java.net.URISyntaxException e) {
      return "(unparsable URL)";
    }
  }

  /** The Redis of the current configuration, or null when state is local. */
  public RedisState redis() {
    return redis.get();
  }

  @Override
  public synchronized void close() {
    RedisState current = redis.getAndSet(null);
    if (current != null) {
      current.release();
    }
  }
}
