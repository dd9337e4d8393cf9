package dev.thinkgate.state;

import dev.thinkgate.config.GatewayConfig.RedisConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One connection pool to the Redis that replicas share, with the settings of
 * {@code state.redis}. Every command is bounded by the command timeout, so a slow or dead Redis
 * costs a request at most that long and never blocks an event loop.
 *
 * <p>Reference counted: the {@link StateStore} holds one reference and every open stream lease
 * another, so a reload that points at another Redis closes this pool only after the leases
 * taken through it were released.
 */
public final class RedisState {
  private final RedisConfig config;
  private final Redis client;
  private final AtomicInteger references = new AtomicInteger(1);

  RedisState(Redis client, RedisConfig config) {
    this.client = Objects.requireNonNull(client, "client");
    this.config = Objects.requireNonNull(config, "config");
  }

  /** Opens a pool for {@code config} (connections are made lazily, on the first command). */
  public static RedisState connect(Vertx vertx, RedisConfig config) {
    RedisOptions options = new RedisOptions()
        .setConnectionString(config.url())
        .setMaxPoolSize(config.maxPoolSize())
        // waiting is bounded by the command timeout; a short queue would turn a burst into errors
        .setMaxPoolWaiting(100_000);
    options.getNetClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeoutMs()))
        .setTcpNoDelay(true);
    RedisState state = new RedisState(Redis.createClient(vertx, options), config);
    // open a first connection now, so the first request does not pay for it (best effort)
    state.client.send(Request.cmd(io.vertx.redis.client.Command.PING));
    return state;
  }

  public RedisConfig config() {
    return config;
  }

  public Redis client() {
    return client;
  }

  public String keyPrefix() {
    return config.keyPrefix();
  }

  public long commandTimeoutMs() {
    return config.commandTimeoutMs();
  }

  /** Sends one command; fails when Redis fails or does not answer within the command timeout. */
  public Future<Response> send(Request request) {
    return client.send(request).timeout(config.commandTimeoutMs(), TimeUnit.MILLISECONDS);
  }

  /** Takes a reference (an open lease); pair with {@link #release()}. */
  public void retain() {
    references.incrementAndGet();
  }

  /** Drops a reference; the last one closes the pool. */
  public void release() {
    if (references.decrementAndGet() == 0) {
      client.close();
    }
  }

  public boolean closed() {
    return references.get() <= 0;
  }
}
