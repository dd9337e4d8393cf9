package dev.thinkgate.cli;

import dev.thinkgate.config.ConfigStore;
import dev.thinkgate.metrics.GatewayMetrics;
import dev.thinkgate.proxy.Gateway;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.function.Function;

/** Creates the Vert.x instance (with Micrometer metrics) and starts a gateway on it. */
final class Runtimes {
  private Runtimes() {}

  /** A started gateway and the Vert.x instance that runs it. */
  record Started(Vertx vertx, Gateway gateway) implements AutoCloseable {
    /** Drains and closes the gateway ({@link Gateway#shutdown}), then Vert.x. */
    dev.thinkgate.proxy.DrainReport shutdown() {
      try {
        return gateway.shutdown();
      } finally {
        vertx.close().await();
      }
    }

    @Override
    public void close() {
      try {
        gateway.close();
      } finally {
        vertx.close().await();
      }
    }
  }

  static Vertx vertx(GatewayMetrics metrics) {
    new JvmMemoryMetrics().bindTo(metrics.registry());
    return Vertx.builder()
        .with(new VertxOptions().setPreferNativeTransport(true) // epoll where available (Linux)
            .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(metrics.registry()))
        .build();
  }

  static Started start(ConfigStore store, GatewayMetrics metrics, Function<String, String> env,
      String defaultPolicy) {
    Vertx vertx = vertx(metrics);
    try {
      return new Started(vertx, Gateway.start(vertx, store, metrics, env, defaultPolicy, true));
    } catch (RuntimeException e) {
      vertx.close();
      throw e;
    }
  }
}
