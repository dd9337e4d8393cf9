package dev.thinkgate.bench;

import dev.thinkgate.audit.report.TextTable;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Relay cost per chunk when tokens arrive one at a time (issue #12): the paced model (one token
 * an event, {@code --tokens-per-second} per stream, 200 = 5 ms per token as in the issue) read
 * directly, through the gateway (passthrough, an optimistic screening policy that audits every
 * request, the same with every verdict from the verdict cache, and the shipped balanced policy),
 * and, in the paired rounds, passthrough recording every request (no screen, no guard: the text
 * read from every chunk and the record, which every screening policy does at least),
 * and through nginx as the anchor when {@code nginx} is on the PATH ({@code proxy_buffering off},
 * upstream keep-alive), in interleaved rounds after a warm-up, the order rotated each round. Per
 * target: CPU time per chunk the client received (the gateway's event-loop threads, measured with
 * {@link ThreadMXBean}; nginx's master and worker processes, from {@code /proc}), and time to
 * first token p50 added over direct.
 */
final class RelayScenario {
  private static final int STREAMS = 32;
  /** guard-optimistic with one prompt repeated: every verdict from the cache (see prompts). */
  static final String CACHED = "gateway/guard-optimistic-cached";
  /** Passthrough recording every request: the text read from each chunk, and the record. */
  static final String AUDITED = "gateway/passthrough-audited";

  private final BenchEnvironment env;
  private final LoadClient client;
  private final BenchOptions options;
  private final Progress progress;

  RelayScenario(BenchEnvironment env, LoadClient client, BenchOptions options, Progress progress) {
    this.env = env;
    this.client = client;
    this.options = options;
    this.progress = progress;
  }

  /** Where a target's CPU time is read from. */
  private interface CpuMeter {
    /** CPU nanoseconds used so far. */
    long cpuNanos();
  }

  /** A target's rounds summed, and each round's CPU per chunk (µs) in round order. */
  record Totals(long chunks, long requests, long guardCalls, long guardRequests, long cpuNanos,
      List<Double> ttftMs, List<Double> roundCpuUs) {}

  Section run() {
    String markers = options.markers();
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Set<Thread> gatewayThreads = env.gatewayThreads();
    CpuMeter gatewayCpu = () -> gatewayThreads.stream()
        .mapToLong(t -> Math.max(0, mx.getThreadCpuTime(t.getId()))).sum();
    Nginx nginx = Nginx.start(env.pacedModelUrl());
    Map<String, Target> targets = new LinkedHashMap<>();
    Map<String, CpuMeter> meters = new LinkedHashMap<>();
    targets.put("direct", env.directPaced());
    meters.put("direct", () -> 0);
    if (nginx != null) {
      targets.put("nginx", new Target("nginx", nginx.url(), null, BenchEnvironment.PACED_MODEL));
      meters.put("nginx", nginx::cpuNanos);
    }
    targets.put("gateway/passthrough", env.gatewayPaced(BenchPolicies.PASSTHROUGH));
    meters.put("gateway/passthrough", gatewayCpu);
    targets.put("gateway/guard-optimistic", env.gatewayPaced(BenchPolicies.GUARD_OPTIMISTIC));
    meters.put("gateway/guard-optimistic", gatewayCpu);
    targets.put("gateway/balanced", env.gatewayPaced(BenchPolicies.BALANCED));
    meters.put("gateway/balanced", gatewayCpu);
    targets.put(CACHED, env.gatewayPaced(BenchPolicies.GUARD_OPTIMISTIC));
    meters.put(CACHED, gatewayCpu);
    try {
      double streamSeconds = (options.thinkTokens() + options.answerTokens())
          / env.pacedTokensPerSecond;
      Duration stagger = Duration.ofMillis((long) (streamSeconds * 1000));
      Duration round = Duration.ofMillis((long) (1000 * Math.max(options.secondsPerRound(),
          3 * streamSeconds)));
      Duration warmUp = Duration.ofMillis((long) (1000 * Math.max(options.warmUpSeconds(),
          options.jitWarmUpSeconds() / targets.size())));
      // Unpaced through every policy measured, so the paths taken once a request or once a guard
      // call are compiled (paced, they stayed in C1's profiling tier for the whole run).
      JsonArray jit = JitWarmUp.run("relay", List.of(env.gateway(BenchPolicies.PASSTHROUGH),
          env.gateway(BenchPolicies.GUARD_OPTIMISTIC), env.gateway(BenchPolicies.BALANCED)),
          2 * STREAMS, options.jitWarmUpSeconds(), client, env, progress, markers);
      for (Map.Entry<String, Target> t : targets.entrySet()) {
        progress.line("relay warm-up " + t.getKey());
        client.runRound(t.getValue(), STREAMS, warmUp, stagger, prompts(t.getKey(), markers));
      }
      Map<String, Totals> totals = new LinkedHashMap<>();
      targets.keySet().forEach(k -> totals.put(k,
          new Totals(0, 0, 0, 0, 0, new ArrayList<>(), new ArrayList<>())));
      List<Map.Entry<String, Target>> order = new ArrayList<>(targets.entrySet());
      for (int r = 0; r < options.rounds(); r++) {
        for (Map.Entry<String, Target> t : rotated(order, r)) {
          progress.line("relay round " + (r + 1) + "/" + options.rounds() + " " + t.getKey());
          CpuMeter meter = meters.get(t.getKey());
          long cpuBefore = meter.cpuNanos();
          long callsBefore = env.guardCalls();
          long guardRequestsBefore = env.guardRequests();
          Measurement m = client.runRound(t.getValue(), STREAMS, round, stagger,
              prompts(t.getKey(), markers));
          env.awaitGuardsIdle(Duration.ofSeconds(2));
          long cpu = meter.cpuNanos() - cpuBefore;
          long calls = env.guardCalls() - callsBefore;
          long guardRequests = env.guardRequests() - guardRequestsBefore;
          Measurement.Row row = m.row(t.getKey(), STREAMS);
          Totals before = totals.get(t.getKey());
          List<Double> ttft = new ArrayList<>(before.ttftMs());
          ttft.add(row.ttft().p50Ms());
          long chunks = m.chunks();
          List<Double> roundCpu = new ArrayList<>(before.roundCpuUs());
          roundCpu.add(chunks == 0 ? 0 : cpu / 1e3 / chunks);
          totals.put(t.getKey(), new Totals(before.chunks() + chunks,
              before.requests() + row.requests(), before.guardCalls() + calls,
              before.guardRequests() + guardRequests,
              before.cpuNanos() + cpu, ttft, roundCpu));
        }
      }
      Map<String, List<Double>> paired = pairedRounds(markers, round, stagger, mx);
      progress.line("relay: guard calls alone, then loop wake-ups alone");
      double alone = env.guardCallAloneMicros(500, 2_000);
      double wakeUp = env.loopWakeUpAloneMicros(500, 2_000);
      Section section = withPaired(report(totals, nginx != null, alone, wakeUp), paired);
      section.json().put("jit_warm_up", jit);
      return section;
    } finally {
      if (nginx != null) {
        nginx.stop();
      }
    }
  }

  /** The screened targets the paired rounds measure against passthrough, and their policies. */
  private static final Map<String, String> PAIRED = pairedTargets();

  private static Map<String, String> pairedTargets() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(AUDITED, BenchPolicies.PASSTHROUGH_AUDITED);
    m.put("gateway/guard-optimistic", BenchPolicies.GUARD_OPTIMISTIC);
    m.put("gateway/balanced", BenchPolicies.BALANCED);
    m.put(CACHED, BenchPolicies.GUARD_OPTIMISTIC);
    return m;
  }

  /**
   * Each screened target against passthrough at the same time, each on a gateway event loop of
   * its own (two listeners, one a loop), the loops swapped every round: per round, the target
   * loop's CPU per chunk over the passthrough loop's. Rounds measured one after the other carry
   * the machine's changes between them (passthrough alone moved ±25% from round to round on this
   * host while nginx moved ±10%); two loops measured at once see the same machine, and the same
   * work on both measured at once differed by a steady 4–10%, which swapping cancels. One warm-up
   * round per target first (new connections on those loops), not counted.
   *
   * @return per screened target, its per-round ratios
   */
  private Map<String, List<Double>> pairedRounds(String markers, Duration round, Duration stagger,
      ThreadMXBean mx) {
    List<dev.thinkgate.proxy.GatewayServer.LoopListener> loops = env.loopListeners();
    Map<String, List<Double>> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> screened : PAIRED.entrySet()) {
      List<Double> ratios = new ArrayList<>();
      for (int r = -1; r < options.rounds(); r++) {
        dev.thinkgate.proxy.GatewayServer.LoopListener ptLoop = loops.get(Math.floorMod(r, 2));
        dev.thinkgate.proxy.GatewayServer.LoopListener xLoop = loops.get(Math.floorMod(r + 1, 2));
        progress.line("relay paired " + (r < 0 ? "warm-up" : "round " + (r + 1) + "/"
            + options.rounds()) + " gateway/passthrough & " + screened.getKey());
        Target pt = env.gatewayPacedAt(BenchPolicies.PASSTHROUGH, ptLoop);
        Target x = env.gatewayPacedAt(screened.getValue(), xLoop);
        long ptBefore = mx.getThreadCpuTime(ptLoop.loop().getId());
        long xBefore = mx.getThreadCpuTime(xLoop.loop().getId());
        java.util.concurrent.CompletableFuture<Measurement> ptRound =
            java.util.concurrent.CompletableFuture.supplyAsync(() -> client.runRound(pt, STREAMS,
                round, stagger, prompts("gateway/passthrough", markers)));
        Measurement xm = client.runRound(x, STREAMS, round, stagger,
            prompts(screened.getKey(), markers));
        Measurement ptm = ptRound.join();
        env.awaitGuardsIdle(Duration.ofSeconds(2));
        double ptCpu = mx.getThreadCpuTime(ptLoop.loop().getId()) - ptBefore;
        double xCpu = mx.getThreadCpuTime(xLoop.loop().getId()) - xBefore;
        long ptChunks = ptm.chunks();
        long xChunks = xm.chunks();
        if (r >= 0 && ptCpu > 0 && ptChunks > 0 && xChunks > 0) {
          ratios.add((xCpu / xChunks) / (ptCpu / ptChunks));
        }
      }
      out.put(screened.getKey(), ratios);
    }
    return out;
  }

  /** {@code section} with the paired rounds' ratios and their intervals after the rest. */
  static Section withPaired(Section section, Map<String, List<Double>> paired) {
    StringBuilder text = new StringBuilder("paired (passthrough and the target at the same time,"
        + " each on an event loop of its own, loops swapped each round) CPU per chunk over"
        + " passthrough's:");
    JsonObject json = new JsonObject();
    paired.forEach((name, rounds) -> {
      double gm = geometricMean(rounds);
      String line = putRatio(json, name, gm, rounds);
      text.append(String.format(Locale.ROOT, "%n  %s %.2f%s; %s", name.replace("gateway/", ""), gm,
          screeningPolicy(name) ? " (target ≤ 1.10)" : "", line));
    });
    section.json().put("paired", json);
    return new Section(section.name(), section.text() + text.append('\n'), section.json());
  }

  /** Whether {@code target} runs a screening policy as issue #12 meant it (not a reference). */
  private static boolean screeningPolicy(String target) {
    return !target.equals(CACHED) && !target.equals(AUDITED);
  }

  /** The geometric mean of positive ratios; NaN without any. */
  static double geometricMean(List<Double> ratios) {
    return ratios.isEmpty() ? Double.NaN
        : Math.exp(ratios.stream().mapToDouble(Math::log).average().orElse(0));
  }

  /**
   * The prompts a target's streams send: a new one each stream, so no verdict comes from the
   * cache, except for {@link #CACHED}, whose streams all send one prompt. The prompt's token
   * markers make the emulated model write the same fixed words for every stream (exactly
   * {@code --think-tokens} and {@code --answer-tokens}), so with the prompt repeated every guard
   * prompt repeats: after the first stream every span checkpoint and audit verdict is the verdict
   * cache's, and that target is the screen's own work (text read from each chunk, checkpoints,
   * the audit record) without a guard exchange.
   */
  private java.util.function.Supplier<String> prompts(String target, String markers) {
    String repeated = "Benchmark request, the same every time: explain how tides work. " + markers;
    return CACHED.equals(target) ? () -> repeated : () -> client.uniquePrompt(markers);
  }

  /**
   * Round {@code r}'s order: the targets rotated by {@code r}. In a fixed order one target always
   * follows the others' rounds (a gateway idle past its upstream keep-alive, caches gone cold)
   * and another never does; rotating spreads that over them.
   */
  static <T> List<T> rotated(List<T> order, int r) {
    List<T> out = new ArrayList<>(order);
    java.util.Collections.rotate(out, -(r % Math.max(1, out.size())));
    return out;
  }

  private Section report(Map<String, Totals> totals, boolean withNginx, double guardCallAlone,
      double wakeUpAlone) {
    double directTtft = median(totals.get("direct").ttftMs());
    Double nginxCpu = withNginx ? cpuPerChunkMicros(totals.get("nginx")) : null;
    TextTable table = new TextTable("target", "chunks", "CPU/chunk µs", "× nginx",
        "TTFT p50 ms", "+TTFT p50 ms");
    JsonObject json = new JsonObject().put("streams", STREAMS)
        .put("tokens_per_second", env.pacedTokensPerSecond);
    JsonArray rows = new JsonArray();
    totals.forEach((name, t) -> {
      double cpu = cpuPerChunkMicros(t);
      double ttft = median(t.ttftMs());
      boolean measured = !name.equals("direct");
      table.row(name, Long.toString(t.chunks()),
          measured ? String.format(Locale.ROOT, "%.1f", cpu) : "-",
          measured && nginxCpu != null && nginxCpu > 0
              ? String.format(Locale.ROOT, "%.2f", cpu / nginxCpu) : "-",
          String.format(Locale.ROOT, "%.2f", ttft),
          measured ? String.format(Locale.ROOT, "%+.2f", ttft - directTtft) : "-");
      rows.add(new JsonObject().put("target", name).put("chunks", t.chunks())
          .put("cpu_per_chunk_us", measured ? LatencyTable.round(cpu, 2) : null)
          .put("ttft_p50_ms", LatencyTable.round(ttft, 3))
          .put("added_ttft_p50_ms", measured ? LatencyTable.round(ttft - directTtft, 3) : null)
          .put("round_cpu_per_chunk_us", measured ? new JsonArray(t.roundCpuUs().stream()
              .map(v -> LatencyTable.round(v, 2)).toList()) : null));
    });
    json.put("rows", rows);
    StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
        "relay: %d streams, model at %.0f tokens/s per stream, one token an event%n",
        STREAMS, env.pacedTokensPerSecond)).append(table.render());
    Totals base = totals.get("gateway/passthrough");
    double passthrough = cpuPerChunkMicros(base);
    Totals optimistic = totals.get("gateway/guard-optimistic");
    double screened = cpuPerChunkMicros(optimistic);
    List<Double> screenedRounds = roundRatios(optimistic, base);
    String screenedPerRound =
        putRatio(json, "screening_over_passthrough", screened / passthrough, screenedRounds);
    text.append(String.format(Locale.ROOT,
        "screening (optimistic) / passthrough CPU per chunk: %.2f (target ≤ 1.10); %s%n",
        screened / passthrough, screenedPerRound));
    Totals shipped = totals.get("gateway/balanced");
    double balanced = cpuPerChunkMicros(shipped);
    List<Double> balancedRounds = roundRatios(shipped, base);
    String balancedPerRound =
        putRatio(json, "balanced_over_passthrough", balanced / passthrough, balancedRounds);
    text.append(String.format(Locale.ROOT,
        "balanced (policies/balanced.yaml: input screen, optimistic spans, 10%% audit) / passthrough"
            + " CPU per chunk: %.2f (target ≤ 1.10); %s%n", balanced / passthrough,
        balancedPerRound));
    Totals cached = totals.get(CACHED);
    double cachedCpu = cpuPerChunkMicros(cached);
    List<Double> cachedRounds = roundRatios(cached, base);
    double cachedCalls = cached.requests() == 0 ? 0 : (double) cached.guardCalls() / cached.requests();
    String cachedPerRound = putRatio(json, "cached_screening_over_passthrough",
        cachedCpu / passthrough, cachedRounds);
    text.append(String.format(Locale.ROOT,
        "screening with every verdict cached (guard-optimistic, one prompt repeated: %.2f guard"
            + " calls a stream) / passthrough CPU per chunk: %.2f; %s%n", cachedCalls,
        cachedCpu / passthrough, cachedPerRound));
    json.put("cached_screening_guard_calls_per_stream", LatencyTable.round(cachedCalls, 3));
    text.append(guardCallCost(totals, base, json));
    text.append(String.format(Locale.ROOT, "a guard call alone (one a millisecond from one loop,"
        + " cache missed): %.0f µs of that loop's CPU; the timer wake-up that starts it, alone: %.0f"
        + " µs; the call's own (its reply's wake-up included): %.0f µs%n", guardCallAlone,
        wakeUpAlone, guardCallAlone - wakeUpAlone));
    json.put("guard_call_alone_us", LatencyTable.round(guardCallAlone, 1));
    json.put("loop_wake_up_alone_us", LatencyTable.round(wakeUpAlone, 1));
    if (nginxCpu != null) {
      double ratio = passthrough / nginxCpu;
      double added = median(base.ttftMs()) - directTtft;
      double nginxAdded = median(totals.get("nginx").ttftMs()) - directTtft;
      List<Double> nginxRounds = roundRatios(base, totals.get("nginx"));
      String nginxPerRound = putRatio(json, "gateway_over_nginx_cpu", ratio, nginxRounds);
      text.append(String.format(Locale.ROOT,
          "gateway/nginx CPU per chunk: %.2f (target ≤ 2.00) %s, %s; added TTFT p50"
              + " %+.2f ms vs nginx's %+.2f ms (target ≤ nginx + 0.3 ms) %s%n",
          ratio, ratio <= 2.0 ? "PASS" : "FAIL", nginxPerRound, added, nginxAdded,
          added <= nginxAdded + 0.3 ? "PASS" : "FAIL"));
    } else {
      text.append("nginx not on the PATH: no anchor (install nginx to compare)\n");
    }
    return new Section("relay", text.toString(), json);
  }

  /**
   * What one guard request costs the gateway: each screened target's CPU above passthrough's, per
   * HTTP request to the guard (one verdict, or several sent together). The verdicts of a stream
   * are fixed by its policy (a checkpoint per span at these lengths, the input screen, the audit's
   * whole-response verdict), and how many requests carry them by when each comes due, so this is
   * what sets how far screening can come near passthrough.
   */
  static String guardCallCost(Map<String, Totals> totals, Totals base, JsonObject json) {
    double passthrough = cpuPerChunkMicros(base);
    StringBuilder line = new StringBuilder();
    JsonObject out = new JsonObject();
    totals.forEach((name, t) -> {
      if (!name.startsWith("gateway/") || name.equals(CACHED) || t.guardCalls() == 0
          || t.requests() == 0) {
        // direct and nginx make no guard call: a count there leaked from another round; the
        // cached target's few calls (its first stream's) would divide its whole cost
        return;
      }
      double perStream = (double) t.guardCalls() / t.requests();
      long exchanges = t.guardRequests() > 0 ? t.guardRequests() : t.guardCalls();
      double requestsPerStream = (double) exchanges / t.requests();
      double perRequest = (cpuPerChunkMicros(t) - passthrough) * t.chunks() / exchanges;
      line.append(line.isEmpty() ? "" : "; ").append(String.format(Locale.ROOT,
          "%s %.1f verdicts in %.1f requests a stream, %.0f µs a request",
          name.replace("gateway/", ""), perStream, requestsPerStream, perRequest));
      out.put(name, new JsonObject().put("guard_calls_per_stream", LatencyTable.round(perStream, 2))
          .put("guard_requests_per_stream", LatencyTable.round(requestsPerStream, 2))
          .put("cpu_above_passthrough_per_request_us", LatencyTable.round(perRequest, 1)));
    });
    json.put("guard_calls", out);
    return line.isEmpty() ? "" : "guard requests (CPU above passthrough per request): " + line + "\n";
  }

  /**
   * Round {@code r}'s CPU per chunk of {@code target} over {@code base}'s in the same round: rounds
   * of one index run back to back, so drift of the machine between rounds mostly cancels, and the
   * spread of these ratios shows how far one run's overall ratio can be trusted.
   */
  private static List<Double> roundRatios(Totals target, Totals base) {
    List<Double> out = new ArrayList<>();
    for (int r = 0; r < Math.min(target.roundCpuUs().size(), base.roundCpuUs().size()); r++) {
      double b = base.roundCpuUs().get(r);
      if (b > 0) {
        out.add(target.roundCpuUs().get(r) / b);
      }
    }
    return out;
  }

  /** "median 1.08 (1.02 … 1.15)" of per-round ratios, or "-" without any. */
  static String spread(List<Double> ratios) {
    if (ratios.isEmpty()) {
      return "-";
    }
    List<Double> sorted = new ArrayList<>(ratios);
    sorted.sort(null);
    return String.format(Locale.ROOT, "median %.2f (%.2f … %.2f)", median(sorted), sorted.get(0),
        sorted.get(sorted.size() - 1));
  }

  /**
   * The 95% confidence interval of the per-round ratios' geometric mean, from Student's t on their
   * logarithms (rounds taken as independent): how far one run resolves a ratio, to read a target
   * against. Null with fewer than two rounds.
   */
  static double[] confidenceInterval(List<Double> ratios) {
    int n = ratios.size();
    if (n < 2 || ratios.stream().anyMatch(r -> !(r > 0))) {
      return null;
    }
    double mean = ratios.stream().mapToDouble(Math::log).average().orElse(0);
    double ss = ratios.stream().mapToDouble(r -> (Math.log(r) - mean) * (Math.log(r) - mean)).sum();
    double half = studentT975(n - 1) * Math.sqrt(ss / (n - 1) / n);
    return new double[] {Math.exp(mean - half), Math.exp(mean + half)};
  }

  /** ", 95% interval 1.06 … 1.21" after {@link #spread}, or "" with fewer than two rounds. */
  static String interval(List<Double> ratios) {
    double[] ci = confidenceInterval(ratios);
    return ci == null ? "" : String.format(Locale.ROOT, ", 95%% interval %.2f … %.2f", ci[0], ci[1]);
  }

  /**
   * Puts a run's {@code ratio} in {@code json} under {@code key}, with its per-round ratios
   * ({@code key_rounds}) and their interval ({@code key_interval}, null with fewer than two
   * rounds); returns the text report's "per round median … (… … …), 95% interval … … …".
   */
  private static String putRatio(JsonObject json, String key, double ratio, List<Double> rounds) {
    double[] ci = confidenceInterval(rounds);
    json.put(key, LatencyTable.round(ratio, 3));
    json.put(key + "_rounds", rounded(rounds));
    json.put(key + "_interval", ci == null ? null
        : new JsonArray().add(LatencyTable.round(ci[0], 3)).add(LatencyTable.round(ci[1], 3)));
    return "per round " + spread(rounds) + interval(rounds);
  }

  /** Two-sided 95% quantiles of Student's t for 1 … 30 degrees of freedom. */
  private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
      2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080,
      2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};

  /** t(0.975, df): the table up to 30, then the Cornish-Fisher expansion around z = 1.96. */
  static double studentT975(int df) {
    if (df <= T975.length) {
      return T975[df - 1];
    }
    double z = 1.959964;
    return z + (z * z * z + z) / (4.0 * df)
        + (5 * Math.pow(z, 5) + 16 * z * z * z + 3 * z) / (96.0 * df * df);
  }

  private static JsonArray rounded(List<Double> ratios) {
    JsonArray out = new JsonArray();
    ratios.forEach(r -> out.add(LatencyTable.round(r, 3)));
    return out;
  }

  private static double cpuPerChunkMicros(Totals t) {
    return t.chunks() == 0 ? 0 : t.cpuNanos() / 1e3 / t.chunks();
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
  }

  /** nginx 1.x as a child process: one worker, no buffering, keep-alive to the model. */
  static final class Nginx {
    private final Process process;
    private final int port;
    private final Path dir;

    private Nginx(Process process, int port, Path dir) {
      this.process = process;
      this.port = port;
      this.dir = dir;
    }

    /** Started, or null when nginx is not installed. */
    static Nginx start(String upstream) {
      Path binary = findOnPath("nginx");
      if (binary == null) {
        return null;
      }
      try {
        Path dir = Files.createTempDirectory("thinkgate-bench-nginx");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
          port = s.getLocalPort();
        }
        String hostPort = upstream.replaceFirst("^http://", "");
        Files.writeString(dir.resolve("nginx.conf"), """
            worker_processes 1;
            daemon off;
            pid %1$s/nginx.pid;
            error_log %1$s/error.log warn;
            events { worker_connections 4096; }
            http {
              access_log off;
              client_body_temp_path %1$s/body;
              proxy_temp_path %1$s/proxy;
              fastcgi_temp_path %1$s/fastcgi;
              uwsgi_temp_path %1$s/uwsgi;
              scgi_temp_path %1$s/scgi;
              upstream model { server %2$s; keepalive 256; }
              server {
                listen 127.0.0.1:%3$d;
                location / {
                  proxy_pass http://model;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                  proxy_buffering off;
                }
              }
            }
            """.formatted(dir, hostPort, port), StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(binary.toString(), "-p", dir.toString(), "-c",
            dir.resolve("nginx.conf").toString()).redirectErrorStream(true)
            .redirectOutput(dir.resolve("stdout.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
          try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
            return new Nginx(p, port, dir);
          } catch (IOException notYet) {
            Thread.sleep(50);
          }
        }
        p.destroy();
        return null;
      } catch (IOException e) {
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }

    String url() {
      return "http://127.0.0.1:" + port;
    }

    /** utime + stime of the master and its workers, from /proc. */
    long cpuNanos() {
      long ticks = ticks(process.pid());
      for (ProcessHandle child : process.toHandle().children().toList()) {
        ticks += ticks(child.pid());
      }
      return ticks * 10_000_000L; // USER_HZ is 100 on Linux
    }

    private static long ticks(long pid) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
      } catch (IOException | RuntimeException e) {
        return 0;
      }
    }

    void stop() {
      process.destroy();
      try {
        process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process.destroyForcibly();
    }

    private static Path findOnPath(String name) {
      for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/local/sbin")
          .split(":")) {
        Path candidate = Path.of(dir, name);
        if (!dir.isEmpty() && Files.isExecutable(candidate)) {
          return candidate;
        }
      }
      return null;
    }
  }
}
