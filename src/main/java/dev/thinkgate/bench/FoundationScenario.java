package dev.thinkgate.bench;

import dev.thinkgate.audit.report.TextTable;
import dev.thinkgate.stream.TokenCount;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Direct (client → emulated model) against through the gateway with the passthrough policy, in two
 * passes, each at every concurrency in interleaved rounds after a discarded warm-up pair:
 *
 * <ul>
 *   <li><b>saturation</b>: the model unpaced, so the client, the model and the gateway compete for
 *       the cores; requests/s here is the gateway's capacity, and the throughput target is read
 *       from it. Time to first token here is mostly queueing behind saturated cores.
 *   <li><b>paced</b>: the model decoding at a realistic pace (vLLM-style shared decode steps), so
 *       the cores have room and time to first token shows what the gateway adds per request; the
 *       added time-to-first-token targets are read from it.
 * </ul>
 *
 * A JIT warm-up comes first: unpaced traffic on both paths until the JVM has compiled the hot
 * paths (measured here: requests/s keeps rising for 20-30 s), as in any long-running gateway.
 */
final class FoundationScenario {
  static final int TTFT_TARGET_STREAMS = 64;
  static final int THROUGHPUT_TARGET_STREAMS = 256;
  static final double ADDED_TTFT_P50_TARGET_MS = 1.0;
  static final double ADDED_TTFT_P99_TARGET_MS = 5.0;
  static final double THROUGHPUT_TARGET_RATIO = 0.80;
  /** A paced round lasts at least this many whole streams (128 tokens take 1.3 s at 100/s). */
  private static final int MIN_STREAMS_PER_PACED_ROUND = 3;

  private final BenchEnvironment env;
  private final LoadClient client;
  private final BenchOptions options;
  private final Progress progress;

  FoundationScenario(BenchEnvironment env, LoadClient client, BenchOptions options,
      Progress progress) {
    this.env = env;
    this.client = client;
    this.options = options;
    this.progress = progress;
  }

  /** The rows of one pass by concurrency, and its table. */
  private record Pass(Map<Integer, Measurement.Row> direct, Map<Integer, Measurement.Row> gateway,
      Map<Integer, List<Double>> roundRatios, LatencyTable table) {

    /** Each round's throughput gateway/direct, per concurrency: how much the ratio wanders. */
    String roundRatiosText() {
      StringBuilder text = new StringBuilder("throughput gateway/direct round by round:");
      roundRatios.forEach((c, ratios) -> {
        text.append(String.format(Locale.ROOT, "%n  %4d streams:", c));
        ratios.forEach(r -> text.append(String.format(Locale.ROOT, " %.2f", r)));
        text.append(String.format(Locale.ROOT, "  (min %.2f, max %.2f)",
            ratios.stream().mapToDouble(Double::doubleValue).min().orElse(0),
            ratios.stream().mapToDouble(Double::doubleValue).max().orElse(0)));
      });
      return text.append('\n').toString();
    }

    JsonObject roundRatiosJson() {
      JsonObject json = new JsonObject();
      roundRatios.forEach((c, ratios) -> json.put(String.valueOf(c), new JsonArray(
          ratios.stream().map(r -> LatencyTable.round(r, 3)).toList())));
      return json;
    }
  }

  Section run() {
    String markers = options.markers();
    StringBuilder text = new StringBuilder();
    JsonObject json = new JsonObject();

    StreamResult d = client.runOne(env.direct(), client.uniquePrompt(markers));
    StreamResult g = client.runOne(env.gateway(BenchPolicies.PASSTHROUGH), client.uniquePrompt(markers));
    String check = String.format(Locale.ROOT,
        "output check: direct %d thinking + %d answer words, gateway %d + %d (want %d + %d)",
        TokenCount.words(d.thinking()), TokenCount.words(d.answer()),
        TokenCount.words(g.thinking()), TokenCount.words(g.answer()),
        options.thinkTokens(), options.answerTokens());
    text.append(check).append("\n\n");
    json.put("output_check", new JsonObject()
        .put("direct", new JsonArray().add(TokenCount.words(d.thinking()))
            .add(TokenCount.words(d.answer())))
        .put("gateway", new JsonArray().add(TokenCount.words(g.thinking()))
            .add(TokenCount.words(g.answer()))));

    json.put("jit_warm_up", JitWarmUp.run("foundation",
        List.of(env.direct(), env.gateway(BenchPolicies.PASSTHROUGH)),
        options.concurrency().stream().max(Integer::compare).orElse(1),
        options.jitWarmUpSeconds(), client, env, progress, markers));

    Duration round = Duration.ofMillis((long) (options.secondsPerRound() * 1000));
    Duration warmUp = Duration.ofMillis((long) (options.warmUpSeconds() * 1000));
    Pass saturation = pass("saturation", env.direct(), env.gateway(BenchPolicies.PASSTHROUGH),
        round, warmUp, Duration.ZERO);
    text.append("saturation: model unpaced (client, model and gateway share the cores)\n")
        .append(saturation.table().render()).append(saturation.roundRatiosText()).append('\n');
    json.put("rows", saturation.table().json());
    json.put("round_ratios", saturation.roundRatiosJson());

    Pass paced = null;
    if (options.tokensPerSecond() > 0) {
      double streamSeconds = (options.thinkTokens() + options.answerTokens())
          / options.tokensPerSecond();
      Duration pacedRound = Duration.ofMillis((long) (1000 * Math.max(options.secondsPerRound(),
          MIN_STREAMS_PER_PACED_ROUND * streamSeconds)));
      // Workers start spread over one stream's length, as independent clients arrive.
      paced = pass("paced", env.directPaced(), env.gatewayPaced(BenchPolicies.PASSTHROUGH),
          pacedRound, warmUp, Duration.ofMillis((long) (streamSeconds * 1000)));
      text.append(String.format(Locale.ROOT,
              "paced: model at %.0f tokens/s per stream in shared decode steps, as vLLM batches%n",
              options.tokensPerSecond()))
          .append(paced.table().render()).append('\n');
      json.put("paced_rows", paced.table().json());
    }

    JsonArray targets = new JsonArray();
    TextTable t = new TextTable("target", ">measured", ">goal", "result");
    Pass ttftPass = paced != null ? paced : saturation;
    String ttftFrom = paced != null ? "paced" : "saturation";
    Measurement.Row ttftDirect = ttftPass.direct().get(TTFT_TARGET_STREAMS);
    Measurement.Row ttftGateway = ttftPass.gateway().get(TTFT_TARGET_STREAMS);
    if (ttftDirect != null) {
      double p50 = (ttftGateway.ttft().p50Us() - ttftDirect.ttft().p50Us()) / 1000.0;
      double p99 = (ttftGateway.ttft().p99Us() - ttftDirect.ttft().p99Us()) / 1000.0;
      target(t, targets, "added TTFT p50 at 64 streams, " + ttftFrom + " (ms)", p50, "<= 1.000",
          p50 <= ADDED_TTFT_P50_TARGET_MS);
      target(t, targets, "added TTFT p99 at 64 streams, " + ttftFrom + " (ms)", p99, "<= 5.000",
          p99 <= ADDED_TTFT_P99_TARGET_MS);
    } else {
      t.row("added TTFT at 64 streams", "not run", "", "n/a");
    }
    Measurement.Row tputDirect = saturation.direct().get(THROUGHPUT_TARGET_STREAMS);
    Measurement.Row tputGateway = saturation.gateway().get(THROUGHPUT_TARGET_STREAMS);
    if (tputDirect != null) {
      double ratio = tputDirect.requestsPerSecond() == 0 ? 0
          : tputGateway.requestsPerSecond() / tputDirect.requestsPerSecond();
      target(t, targets, "throughput gateway/direct at 256 streams, saturation", ratio,
          ">= 0.800", ratio >= THROUGHPUT_TARGET_RATIO);
    } else {
      t.row("throughput at 256 streams", "not run", "", "n/a");
    }
    text.append(t.render());
    json.put("targets", targets);
    return new Section("foundation", text.toString(), json);
  }

  private Pass pass(String name, Target direct, Target gateway, Duration round, Duration warmUp,
      Duration stagger) {
    String markers = options.markers();
    LatencyTable table = new LatencyTable();
    Map<Integer, Measurement.Row> directRows = new HashMap<>();
    Map<Integer, Measurement.Row> gatewayRows = new HashMap<>();
    Map<Integer, List<Double>> roundRatios = new TreeMap<>();
    for (int c : options.concurrency()) {
      List<Double> ratios = new ArrayList<>();
      roundRatios.put(c, ratios);
      client.runRound(direct, c, warmUp, stagger, () -> client.uniquePrompt(markers));
      client.runRound(gateway, c, warmUp, stagger, () -> client.uniquePrompt(markers));
      env.forgetRequests();
      progress.line("foundation " + name + " streams=" + c + ": warm-up done");
      Measurement directAll = new Measurement();
      Measurement gatewayAll = new Measurement();
      for (int r = 1; r <= options.rounds(); r++) {
        Measurement dm =
            client.runRound(direct, c, round, stagger, () -> client.uniquePrompt(markers));
        progress.round("foundation " + name + " r" + r, dm.row(direct.label(), c));
        Measurement gm =
            client.runRound(gateway, c, round, stagger, () -> client.uniquePrompt(markers));
        progress.round("foundation " + name + " r" + r, gm.row(gateway.label(), c));
        env.forgetRequests();
        double directRate = dm.row(direct.label(), c).requestsPerSecond();
        ratios.add(directRate == 0 ? 0 : gm.row(gateway.label(), c).requestsPerSecond() / directRate);
        directAll.addAll(dm);
        gatewayAll.addAll(gm);
      }
      Measurement.Row dr = directAll.row(direct.label(), c);
      Measurement.Row gr = gatewayAll.row(gateway.label(), c);
      table.add(dr).add(gr).ratio("  gateway/direct", gr, dr);
      directRows.put(c, dr);
      gatewayRows.put(c, gr);
    }
    return new Pass(directRows, gatewayRows, roundRatios, table);
  }

  private static void target(TextTable t, JsonArray json, String name, double measured,
      String goal, boolean pass) {
    t.row(name, String.format(Locale.ROOT, "%.3f", measured), goal, pass ? "PASS" : "MISS");
    json.add(new JsonObject().put("target", name).put("measured", LatencyTable.round(measured, 3))
        .put("goal", goal).put("pass", pass));
  }
}
