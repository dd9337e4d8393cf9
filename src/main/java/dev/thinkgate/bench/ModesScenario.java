package dev.thinkgate.bench;

import dev.thinkgate.audit.report.TextTable;
import dev.thinkgate.stream.TokenCount;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The cost of the reasoning rewrites through the gateway. ZeroThink and LessThink produce only the
 * answer, so they are compared with a passthrough request whose model output is the same
 * ({@code [[think:0]]}): the difference is the rewriting. MoreThink (thinking budget
 * {@value BenchPolicies#MORETHINK_ROUNDS}× --think-tokens) is compared with one passthrough call
 * producing as many thinking and answer tokens; the difference divided by the extra upstream
 * calls is the cost of a round.
 */
final class ModesScenario {
  private final BenchEnvironment env;
  private final LoadClient client;
  private final BenchOptions options;
  private final Progress progress;

  ModesScenario(BenchEnvironment env, LoadClient client, BenchOptions options, Progress progress) {
    this.env = env;
    this.client = client;
    this.options = options;
    this.progress = progress;
  }

  /** A measured target and the prompt markers it is sent. */
  private record Variant(String label, Target target, String markers) {}

  Section run() {
    int c = options.modesConcurrency();
    int m = options.answerTokens();
    String full = options.markers();

    // One MoreThink request first: its upstream calls and thinking length set the comparison.
    int before = env.model.requestCount();
    StreamResult probe = client.runOne(env.gateway(BenchPolicies.MORETHINK), client.uniquePrompt(full));
    int probeCalls = env.model.requestCount() - before;
    int thinkWords = TokenCount.words(probe.thinking());
    if (!probe.ok()) {
      throw new IllegalStateException("morethink probe failed: " + probe.error());
    }

    List<Variant> variants = List.of(
        new Variant("gateway/passthrough [[think:0]]", env.gateway(BenchPolicies.PASSTHROUGH),
            "[[think:0]] [[answer:" + m + "]]"),
        new Variant("gateway/zerothink", env.gateway(BenchPolicies.ZEROTHINK), full),
        new Variant("gateway/lessthink", env.gateway(BenchPolicies.LESSTHINK), full),
        new Variant("gateway/passthrough [[think:" + thinkWords + "]]",
            env.gateway(BenchPolicies.PASSTHROUGH),
            "[[think:" + thinkWords + "]] [[answer:" + m + "]]"),
        new Variant("gateway/" + BenchPolicies.MORETHINK, env.gateway(BenchPolicies.MORETHINK),
            full));
    Map<String, Measurement> all = new LinkedHashMap<>();
    variants.forEach(v -> all.put(v.label(), new Measurement()));
    Duration round = Duration.ofMillis((long) (options.secondsPerRound() * 1000));
    Duration warmUp = Duration.ofMillis(Math.min(round.toMillis(), 1_000));
    for (Variant v : variants) {
      client.runRound(v.target(), c, warmUp, () -> client.uniquePrompt(v.markers()));
    }
    env.forgetRequests();
    progress.line("modes streams=" + c + ": warm-up done");
    long moreThinkCalls = 0;
    long moreThinkRequests = 0;
    for (int r = 1; r <= options.rounds(); r++) {
      for (Variant v : variants) {
        int calls = env.model.requestCount();
        Measurement measured =
            client.runRound(v.target(), c, round, () -> client.uniquePrompt(v.markers()));
        if (v.label().endsWith(BenchPolicies.MORETHINK)) {
          moreThinkCalls += env.model.requestCount() - calls;
          moreThinkRequests += measured.row(v.label(), c).requests()
              + measured.row(v.label(), c).errors();
        }
        env.forgetRequests();
        progress.round("modes r" + r, measured.row(v.label(), c));
        all.get(v.label()).addAll(measured);
      }
    }
    List<Measurement.Row> rows = new ArrayList<>();
    LatencyTable table = new LatencyTable();
    for (Variant v : variants) {
      Measurement.Row row = all.get(v.label()).row(v.label(), c);
      rows.add(row);
      table.add(row);
    }
    Measurement.Row think0 = rows.get(0);
    Measurement.Row zero = rows.get(1);
    Measurement.Row less = rows.get(2);
    Measurement.Row equivalent = rows.get(3);
    Measurement.Row more = rows.get(4);
    double callsPerRequest = moreThinkRequests == 0 ? 0 : (double) moreThinkCalls / moreThinkRequests;
    double perExtraCallMs = callsPerRequest <= 1 ? 0
        : (more.total().p50Us() - equivalent.total().p50Us()) / 1000.0 / (callsPerRequest - 1);

    TextTable added = new TextTable("rewrite", ">added ttft p50 ms", ">added ttft p99 ms",
        ">added total p50 ms", ">req/s ratio");
    addedRow(added, "zerothink vs passthrough [[think:0]]", zero, think0);
    addedRow(added, "lessthink vs passthrough [[think:0]]", less, think0);
    addedRow(added, BenchPolicies.MORETHINK + " vs passthrough [[think:" + thinkWords + "]]",
        more, equivalent);

    StringBuilder text = new StringBuilder();
    text.append(String.format(Locale.ROOT,
        "morethink-small: think_budget %d (= %d x %d), max_rounds 10; probe: %d upstream calls,"
            + " %d thinking words seen by the client%n%n",
        BenchPolicies.MORETHINK_ROUNDS * options.thinkTokens(), BenchPolicies.MORETHINK_ROUNDS,
        options.thinkTokens(), probeCalls, thinkWords));
    text.append(table.render()).append('\n').append(added.render()).append('\n');
    text.append(String.format(Locale.ROOT,
        "morethink: %.2f upstream calls per request (%.2f thinking rounds + 1 answer call);"
            + " added per extra upstream call (total p50 difference / extra calls): %.3f ms%n",
        callsPerRequest, callsPerRequest - 1, perExtraCallMs));
    JsonObject json = new JsonObject()
        .put("streams", c)
        .put("rows", table.json())
        .put("zerothink_added_ttft_p50_ms", diffMs(zero.ttft().p50Us(), think0.ttft().p50Us()))
        .put("lessthink_added_ttft_p50_ms", diffMs(less.ttft().p50Us(), think0.ttft().p50Us()))
        .put("zerothink_added_total_p50_ms", diffMs(zero.total().p50Us(), think0.total().p50Us()))
        .put("lessthink_added_total_p50_ms", diffMs(less.total().p50Us(), think0.total().p50Us()))
        .put("morethink_thinking_words", thinkWords)
        .put("morethink_upstream_calls_per_request", LatencyTable.round(callsPerRequest, 2))
        .put("morethink_added_total_p50_ms", diffMs(more.total().p50Us(), equivalent.total().p50Us()))
        .put("morethink_added_ms_per_extra_call", LatencyTable.round(perExtraCallMs, 3));
    return new Section("modes", text.toString(), json);
  }

  private static void addedRow(TextTable t, String label, Measurement.Row row, Measurement.Row ref) {
    t.row(label, fmt(diffMs(row.ttft().p50Us(), ref.ttft().p50Us())),
        fmt(diffMs(row.ttft().p99Us(), ref.ttft().p99Us())),
        fmt(diffMs(row.total().p50Us(), ref.total().p50Us())),
        LatencyTable.ratio(row.requestsPerSecond(), ref.requestsPerSecond()));
  }

  private static double diffMs(long aUs, long bUs) {
    return (aUs - bUs) / 1000.0;
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%+.3f", v);
  }
}
