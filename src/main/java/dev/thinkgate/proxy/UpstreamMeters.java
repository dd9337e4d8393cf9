package dev.thinkgate.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToLongFunction;

/**
 * The meters of one upstream, over every {@link UpstreamPools} that reaches it: routes to one
 * server with different connect timeouts or maximum connection ages have pools of their own, and a
 * reload that changes those settings adds pools, but the upstream's gauges and counters stay one
 * series each (a meter registered twice under one name and tags keeps its first source only).
 */
final class UpstreamMeters {
  private final List<UpstreamPools> pools = new CopyOnWriteArrayList<>();
  private final Counter retries;
  /** Connections aged out in pools no longer counted (closed after a reload), so the total stays. */
  private final java.util.concurrent.atomic.AtomicLong agedOutOfRemoved =
      new java.util.concurrent.atomic.AtomicLong();

  /** @param upstream the {@code upstream} tag: scheme, host, port and path prefix */
  UpstreamMeters(MeterRegistry registry, String upstream) {
    Gauge.builder("thinkgate_upstream_connections", this,
            m -> m.sum(UpstreamPools::openConnections))
        .description("Connections to the upstream for streamed calls, open (busy or idle)")
        .tags("upstream", upstream, "state", "open").register(registry);
    Gauge.builder("thinkgate_upstream_connections", this,
            m -> m.sum(UpstreamPools::idleConnections))
        .description("Connections to the upstream for streamed calls, idle in the pool")
        .tags("upstream", upstream, "state", "idle").register(registry);
    FunctionCounter.builder("thinkgate_upstream_connections_aged", this,
            m -> m.agedOutOfRemoved.get() + m.sum(UpstreamPools::agedOut))
        .description("Connections to the upstream closed on reaching the route's"
            + " timeouts.max_connection_age_ms, instead of being reused")
        .tags("upstream", upstream).register(registry);
    retries = Counter.builder("thinkgate_upstream_retries")
        .description("Requests sent once more on a new connection because a reused one was"
            + " closed under them before the server could have read them")
        .tags("upstream", upstream).register(registry);
  }

  void add(UpstreamPools pools) {
    this.pools.add(pools);
  }

  /** {@code pools} closed: no longer counted (its aged-out connections stay in the total). */
  void remove(UpstreamPools pools) {
    if (this.pools.remove(pools)) {
      agedOutOfRemoved.addAndGet(pools.agedOut());
    }
  }

  void retried() {
    retries.increment();
  }

  private long sum(ToLongFunction<UpstreamPools> of) {
    long total = 0;
    for (UpstreamPools p : pools) {
      total += of.applyAsLong(p);
    }
    return total;
  }
}
