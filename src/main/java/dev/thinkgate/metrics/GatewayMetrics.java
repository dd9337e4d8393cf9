package dev.thinkgate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's own meters (requests, latencies, open streams, bytes, screening actions), on a
 * Prometheus registry that other components (guards, audit, config) share.
 * Meter lookups are cached so the per-chunk path does no registry work.
 */
public final class GatewayMetrics {
  private static final Duration[] LATENCY_SLOS = {
    Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(50),
    Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5),
    Duration.ofSeconds(30)
  };

  private final PrometheusMeterRegistry registry;
  private final AtomicInteger openStreams = new AtomicInteger();
  private final Timer upstreamTtfb;
  private final Timer gatewayTtfb;
  private final Timer interChunkGap;
  private final Timer overhead;
  private final Counter bytesIn;
  private final Counter bytesOut;
  private final DistributionSummary chunksPerStream;
  private final ConcurrentHashMap<String, Counter> requestCounters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> actionCounters = new ConcurrentHashMap<>();

  public GatewayMetrics() {
    this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  private final Counter rawRelayStreams;
  private final Counter parsedRelayStreams;

  public GatewayMetrics(PrometheusMeterRegistry registry) {
    this.registry = registry;
    registry.gauge("thinkgate_open_streams", openStreams);
    upstreamTtfb = timer("thinkgate_upstream_ttfb", "Upstream time to first byte");
    gatewayTtfb = timer("thinkgate_gateway_ttfb", "Gateway time to first byte sent to the client");
    interChunkGap = timer("thinkgate_inter_chunk_gap",
        "Gap between writes to a client (the events of one event-loop turn go out in one write)");
    overhead = timer("thinkgate_gateway_overhead",
        "Gateway time minus upstream and guard time, per request");
    bytesIn = Counter.builder("thinkgate_bytes").tag("direction", "upstream_in")
        .description("Bytes read from upstreams").register(registry);
    bytesOut = Counter.builder("thinkgate_bytes").tag("direction", "client_out")
        .description("Bytes written to clients").register(registry);
    chunksPerStream = DistributionSummary.builder("thinkgate_stream_chunks")
        .description("Chunks written per streamed response").register(registry);
    rawRelayStreams = relayStreams(registry, "raw");
    parsedRelayStreams = relayStreams(registry, "parsed");
  }

  private static Counter relayStreams(MeterRegistry registry, String path) {
    return Counter.builder("thinkgate_relay_streams").tag("path", path)
        .description("Streamed generations by relay path: raw (upstream bytes forwarded) or"
            + " parsed (every chunk parsed and re-encoded)").register(registry);
  }

  /** A streamed generation (one run of a request) took the raw or the parsed relay path. */
  public void relayPath(boolean raw) {
    (raw ? rawRelayStreams : parsedRelayStreams).increment();
  }

  private Timer timer(String name, String description) {
    return Timer.builder(name).description(description)
        .serviceLevelObjectives(LATENCY_SLOS).register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }

  public void request(String route, String endpoint, int status) {
    String key = route + '\u0000' + endpoint + '\u0000' + status;
    requestCounters.computeIfAbsent(key, k -> Counter.builder("thinkgate_requests")
        .tag("route", route).tag("endpoint", endpoint).tag("status", Integer.toString(status))
        .description("Requests by route, endpoint and status").register(registry)).increment();
  }

  public void action(String policy, String action) {
    String key = policy + '\u0000' + action;
    actionCounters.computeIfAbsent(key, k -> Counter.builder("thinkgate_screen_actions")
        .tag("policy", policy).tag("action", action)
        .description("Screening actions by policy").register(registry)).increment();
  }

  public void streamOpened() {
    openStreams.incrementAndGet();
  }

  public void streamClosed(int chunks) {
    openStreams.decrementAndGet();
    chunksPerStream.record(chunks);
  }

  public int openStreams() {
    return openStreams.get();
  }

  public void upstreamTtfb(long nanos) {
    upstreamTtfb.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void gatewayTtfb(long nanos) {
    gatewayTtfb.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void interChunkGap(long nanos) {
    interChunkGap.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void overhead(long nanos) {
    overhead.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }

  public void bytesIn(long n) {
    bytesIn.increment(n);
  }

  public void bytesOut(long n) {
    bytesOut.increment(n);
  }
}
