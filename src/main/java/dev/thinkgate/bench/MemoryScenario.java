package dev.thinkgate.bench;

import dev.thinkgate.audit.report.TextTable;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Heap per open idle stream: N streams that stall after their first chunk, held open once
 * directly and once through the gateway; after a few full GCs the used heap is read. The gateway's
 * share per stream is the difference divided by N (both figures include the load client and the
 * emulator). Afterwards every stream is reset and the gateway must cancel its upstream streams.
 */
final class MemoryScenario {
  static final long TARGET_BYTES_PER_STREAM = 64 * 1024;

  private final BenchEnvironment env;
  private final LoadClient client;
  private final BenchOptions options;
  private final Progress progress;
  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

  MemoryScenario(BenchEnvironment env, LoadClient client, BenchOptions options, Progress progress) {
    this.env = env;
    this.client = client;
    this.options = options;
    this.progress = progress;
  }

  Section run() {
    int n = options.idleStreams();
    long baseline = settledHeap();
    Held direct = hold(env.direct(), n);
    Held gateway = hold(env.gateway(BenchPolicies.PASSTHROUGH), n);
    double perStream = (double) (gateway.heap - direct.heap) / n;
    boolean pass = perStream <= TARGET_BYTES_PER_STREAM;
    long maxHeap = memory.getHeapMemoryUsage().getMax();

    TextTable t = new TextTable("measurement", ">value");
    t.row("idle streams held open (N)", n);
    t.row("max heap (MiB)", mib(maxHeap));
    t.row("used heap, nothing open (MiB)", mib(baseline));
    t.row("used heap, N open direct (MiB)", mib(direct.heap));
    t.row("used heap, N open via gateway (MiB)", mib(gateway.heap));
    t.row("streams that failed to open (direct / gateway)", direct.failed + " / " + gateway.failed);
    t.row("upstream streams open while held via gateway", gateway.upstreamOpen);
    t.row("upstream streams left after reset (direct / gateway)",
        direct.upstreamLeft + " / " + gateway.upstreamLeft);
    t.row("upstream streams cancelled by the gateway", gateway.cancelled);
    t.row("gateway heap per stream (KiB)",
        String.format(Locale.ROOT, "%.1f", perStream / 1024));
    t.row("target <= 64 KiB per stream", pass ? "PASS" : "MISS");
    JsonObject json = new JsonObject()
        .put("streams", n)
        .put("max_heap_bytes", maxHeap)
        .put("heap_baseline_bytes", baseline)
        .put("heap_direct_open_bytes", direct.heap)
        .put("heap_gateway_open_bytes", gateway.heap)
        .put("failed_direct", direct.failed)
        .put("failed_gateway", gateway.failed)
        .put("upstream_open_via_gateway", gateway.upstreamOpen)
        .put("upstream_left_after_reset", gateway.upstreamLeft)
        .put("upstream_cancelled_by_gateway", gateway.cancelled)
        .put("gateway_bytes_per_stream", Math.round(perStream))
        .put("target_bytes_per_stream", TARGET_BYTES_PER_STREAM)
        .put("pass", pass);
    return new Section("memory", t.render(), json);
  }

  private record Held(long heap, int failed, int upstreamOpen, int upstreamLeft, int cancelled) {}

  private Held hold(Target target, int n) {
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      prompts.add(client.uniquePrompt(options.markers() + " [[stall]]"));
    }
    int activeBefore = env.model.activeStreams();
    int cancelledBefore = env.model.cancelledStreams();
    LoadClient.OpenStreams open = client.open(target, prompts, Duration.ofSeconds(60));
    int upstreamOpen = env.model.activeStreams() - activeBefore;
    env.forgetRequests();
    long heap = settledHeap();
    progress.line(String.format(Locale.ROOT, "memory %s: %d streams open (%d failed), heap %s MiB",
        target.label(), open.count() - open.failed(), open.failed(), mib(heap)));
    open.cancelAll();
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (env.model.activeStreams() > activeBefore && System.nanoTime() < deadline) {
      Benchmark.pause(50);
    }
    return new Held(heap, open.failed(), upstreamOpen, env.model.activeStreams() - activeBefore,
        env.model.cancelledStreams() - cancelledBefore);
  }

  /** Used heap after full collections, once the event loops have gone quiet. */
  private long settledHeap() {
    Benchmark.pause(300);
    for (int i = 0; i < 3; i++) {
      System.gc();
      Benchmark.pause(150);
    }
    return memory.getHeapMemoryUsage().getUsed();
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f", bytes / (1024.0 * 1024.0));
  }
}
