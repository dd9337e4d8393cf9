package dev.thinkgate.bench;

import dev.thinkgate.audit.AuditRecord;
import dev.thinkgate.audit.report.TextTable;
import dev.thinkgate.stream.TokenCount;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Span screening with the emulated Llama Guard answering after --guard-latency-ms: added time to
 * first token with hold release (about one guard call), guard calls per span against the
 * checkpoint count, guard prompt tokens per generated token, throughput with screening on and
 * off, a head-of-line check (one stream whose guard calls never return must not delay the
 * others), and the detection lag of optimistic release on a thought that turns harmful.
 */
final class GuardScenario {
  private static final int LAG_REQUESTS = 8;

  private final BenchEnvironment env;
  private final LoadClient client;
  private final BenchOptions options;
  private final Progress progress;

  GuardScenario(BenchEnvironment env, LoadClient client, BenchOptions options, Progress progress) {
    this.env = env;
    this.client = client;
    this.options = options;
    this.progress = progress;
  }

  /** Guard traffic seen during hold rounds. */
  private static final class GuardCount {
    long guardCalls;
    long promptWords;
    long requests;
    long thinkingCalls;
    long answerCalls;
    long unsafe;
    final Map<String, Integer> actions = new TreeMap<>();

    void add(List<JsonObject> guardRequests, List<AuditRecord> records) {
      guardCalls += guardRequests.size();
      for (JsonObject r : guardRequests) {
        promptWords += TokenCount.words(r.getValue("prompt") instanceof String s ? s
            : String.valueOf(r.getValue("messages")));
      }
      for (AuditRecord a : records) {
        requests++;
        thinkingCalls += calls(a.verdicts(), "thinking");
        answerCalls += calls(a.verdicts(), "answer");
        unsafe += unsafe(a.verdicts(), "thinking") + unsafe(a.verdicts(), "answer");
        actions.merge(a.action(), 1, Integer::sum);
      }
    }

    private static int calls(JsonObject verdicts, String span) {
      JsonObject v = verdicts == null ? null : verdicts.getJsonObject(span);
      return v == null ? 0 : v.getInteger("guard_calls", 0);
    }

    private static int unsafe(JsonObject verdicts, String span) {
      JsonObject v = verdicts == null ? null : verdicts.getJsonObject(span);
      return v != null && Boolean.FALSE.equals(v.getBoolean("safe")) ? 1 : 0;
    }

    double perRequest(long n) {
      return requests == 0 ? 0 : (double) n / requests;
    }
  }

  Section run() {
    String markers = options.markers();
    int c = options.modesConcurrency();
    int n = options.thinkTokens();
    int m = options.answerTokens();
    Target off = env.gateway(BenchPolicies.PASSTHROUGH);
    Target hold = env.gateway(BenchPolicies.GUARD_HOLD);
    Duration round = Duration.ofMillis((long) (options.secondsPerRound() * 1000));
    Duration shortRound = Duration.ofMillis(Math.max(500, round.toMillis() / 2));
    StringBuilder text = new StringBuilder();
    JsonObject json = new JsonObject().put("guard_latency_ms", options.guardLatencyMs())
        .put("checkpoint_tokens", BenchPolicies.CHECKPOINT_TOKENS);

    // 1. One stream: added time to first token, guard calls and guard prompt size.
    client.runRound(off, 1, Duration.ofMillis(500), () -> client.uniquePrompt(markers));
    client.runRound(hold, 1, Duration.ofMillis(500), () -> client.uniquePrompt(markers));
    env.forgetRequests();
    env.audit.drain();
    Measurement off1 = new Measurement();
    Measurement hold1 = new Measurement();
    GuardCount single = new GuardCount();
    for (int r = 1; r <= options.rounds(); r++) {
      Measurement a = client.runRound(off, 1, shortRound, () -> client.uniquePrompt(markers));
      progress.round("guard r" + r, a.row(off.label(), 1));
      env.forgetRequests();
      env.audit.drain();
      Measurement b = client.runRound(hold, 1, shortRound, () -> client.uniquePrompt(markers));
      progress.round("guard r" + r, b.row(hold.label(), 1));
      single.add(env.guard.requests(), env.audit.drain());
      env.forgetRequests();
      off1.addAll(a);
      hold1.addAll(b);
    }

    // 2. Throughput with screening on and off.
    client.runRound(off, c, Duration.ofMillis(1_000), () -> client.uniquePrompt(markers));
    client.runRound(hold, c, Duration.ofMillis(1_000), () -> client.uniquePrompt(markers));
    env.forgetRequests();
    env.audit.drain();
    Measurement offC = new Measurement();
    Measurement holdC = new Measurement();
    GuardCount loaded = new GuardCount();
    for (int r = 1; r <= options.rounds(); r++) {
      Measurement a = client.runRound(off, c, round, () -> client.uniquePrompt(markers));
      progress.round("guard r" + r, a.row(off.label(), c));
      env.forgetRequests();
      env.audit.drain();
      Measurement b = client.runRound(hold, c, round, () -> client.uniquePrompt(markers));
      progress.round("guard r" + r, b.row(hold.label(), c));
      loaded.add(env.guard.requests(), env.audit.drain());
      env.forgetRequests();
      offC.addAll(a);
      holdC.addAll(b);
    }
    LatencyTable table = new LatencyTable();
    Measurement.Row o1 = off1.row(off.label(), 1);
    Measurement.Row h1 = hold1.row(hold.label(), 1);
    Measurement.Row oc = offC.row(off.label(), c);
    Measurement.Row hc = holdC.row(hold.label(), c);
    table.add(o1).add(h1).ratio("  hold/off", h1, o1).add(oc).add(hc).ratio("  hold/off", hc, oc);
    text.append("screening policy guard-hold: thinking and answer, release hold, checkpoint_tokens ")
        .append(BenchPolicies.CHECKPOINT_TOKENS).append(", no input screen; guard latency ")
        .append(options.guardLatencyMs()).append(" ms\n\n");
    text.append(table.render()).append('\n');
    json.put("rows", table.json());

    int expectThinking = ceilDiv(n, BenchPolicies.CHECKPOINT_TOKENS) + 1;
    int expectAnswer = ceilDiv(m, BenchPolicies.CHECKPOINT_TOKENS) + 1;
    long tokens1 = single.requests * (long) (n + m);
    TextTable g = new TextTable("guard figure", ">1 stream", ">" + c + " streams", ">bound");
    g.row("added TTFT p50 (ms, hold - off)", LatencyTable.ms(h1.ttft().p50Us() - o1.ttft().p50Us()),
        LatencyTable.ms(hc.ttft().p50Us() - oc.ttft().p50Us()), "~" + options.guardLatencyMs());
    g.row("added TTFT p99 (ms, hold - off)", LatencyTable.ms(h1.ttft().p99Us() - o1.ttft().p99Us()),
        LatencyTable.ms(hc.ttft().p99Us() - oc.ttft().p99Us()), "");
    g.row("guard calls per thinking span (" + n + " tokens)",
        LatencyTable.fmt2(single.perRequest(single.thinkingCalls)),
        LatencyTable.fmt2(loaded.perRequest(loaded.thinkingCalls)), "<= " + expectThinking);
    g.row("guard calls per answer span (" + m + " tokens)",
        LatencyTable.fmt2(single.perRequest(single.answerCalls)),
        LatencyTable.fmt2(loaded.perRequest(loaded.answerCalls)), "<= " + expectAnswer);
    g.row("guard calls per request (emulated guard count)",
        LatencyTable.fmt2(single.perRequest(single.guardCalls)),
        LatencyTable.fmt2(loaded.perRequest(loaded.guardCalls)), "<= " + (expectThinking + expectAnswer));
    g.row("guard prompt words per generated token",
        LatencyTable.fmt2(tokens1 == 0 ? 0 : (double) single.promptWords / tokens1),
        LatencyTable.fmt2(loaded.requests == 0 ? 0
            : (double) loaded.promptWords / (loaded.requests * (long) (n + m))), "");
    g.row("throughput hold/off", "", LatencyTable.ratio(hc.requestsPerSecond(), oc.requestsPerSecond()), "");
    g.row("screened requests (audit) / unsafe spans", single.requests + " / " + single.unsafe,
        loaded.requests + " / " + loaded.unsafe, "");
    text.append(g.render()).append('\n');
    json.put("added_ttft_p50_ms_1_stream", (h1.ttft().p50Us() - o1.ttft().p50Us()) / 1000.0)
        .put("added_ttft_p99_ms_1_stream", (h1.ttft().p99Us() - o1.ttft().p99Us()) / 1000.0)
        .put("added_ttft_p50_ms_loaded", (hc.ttft().p50Us() - oc.ttft().p50Us()) / 1000.0)
        .put("guard_calls_per_thinking_span", LatencyTable.round(single.perRequest(single.thinkingCalls), 3))
        .put("guard_calls_per_answer_span", LatencyTable.round(single.perRequest(single.answerCalls), 3))
        .put("guard_calls_per_thinking_span_loaded", LatencyTable.round(loaded.perRequest(loaded.thinkingCalls), 3))
        .put("guard_calls_per_answer_span_loaded", LatencyTable.round(loaded.perRequest(loaded.answerCalls), 3))
        .put("guard_calls_bound_thinking", expectThinking)
        .put("guard_calls_bound_answer", expectAnswer)
        .put("guard_calls_per_request", LatencyTable.round(single.perRequest(single.guardCalls), 3))
        .put("guard_prompt_words_per_generated_token",
            LatencyTable.round(tokens1 == 0 ? 0 : (double) single.promptWords / tokens1, 3))
        .put("throughput_ratio_hold_off", LatencyTable.round(oc.requestsPerSecond() == 0 ? 0
            : hc.requestsPerSecond() / oc.requestsPerSecond(), 3))
        .put("actions", new JsonObject(new TreeMap<String, Object>(loaded.actions)));

    // 3. Head of line: one stream's guard calls never return.
    text.append(headOfLine(c, round, markers, json)).append('\n');
    // 4. Detection lag of optimistic release.
    text.append(detectionLag(json));
    return new Section("guard", text.toString(), json);
  }

  private String headOfLine(int c, Duration round, String markers, JsonObject json) {
    Target stallable = env.gateway(BenchPolicies.GUARD_HOLD_STALLABLE);
    Duration half = Duration.ofMillis(Math.max(300, round.toMillis() / 2));
    client.runRound(stallable, c, Duration.ofMillis(1_000), () -> client.uniquePrompt(markers));
    Measurement without = new Measurement();
    Measurement with = new Measurement();
    int stalledBefore = env.front.stalled();
    boolean stillStalled = true;
    for (int r = 1; r <= options.rounds(); r++) {
      env.forgetRequests();
      env.audit.drain();
      Measurement a = client.runRound(stallable, c, half, () -> client.uniquePrompt(markers));
      progress.round("guard hol r" + r, a.row(stallable.label() + " (no stall)", c));
      int before = env.front.stalled();
      SseCall stalled = client.start(stallable,
          client.uniquePrompt(markers + " " + BenchEnvironment.GUARD_STALL_TAG));
      long wait = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (env.front.stalled() == before && System.nanoTime() < wait) {
        Benchmark.pause(5);
      }
      Measurement b = client.runRound(stallable, c, half, () -> client.uniquePrompt(markers));
      stillStalled &= !stalled.firstText().isComplete();
      client.cancel(stalled);
      progress.round("guard hol r" + r, b.row(stallable.label() + " (+1 stalled)", c));
      without.addAll(a);
      with.addAll(b);
    }
    int heldCalls = env.front.stalled() - stalledBefore;
    env.forgetRequests();
    env.audit.drain();
    Measurement.Row a = without.row("others, no stalled stream", c);
    Measurement.Row b = with.row("others, 1 stream's guard stalled", c);
    LatencyTable t = new LatencyTable().add(a).add(b).ratio("  with/without", b, a);
    json.put("head_of_line", new JsonObject()
        .put("without_stall", LatencyTable.toJson(a))
        .put("with_stall", LatencyTable.toJson(b))
        .put("stalled_guard_calls", heldCalls)
        .put("stalled_stream_still_waiting", stillStalled));
    return "head-of-line (policy " + BenchPolicies.GUARD_HOLD_STALLABLE + ", " + c
        + " streams, interleaved rounds; in the 'stalled' rounds one extra stream's guard calls"
        + " are held by a front that never answers: " + heldCalls + " held; the stalled streams"
        + " got no text before their round ended: " + stillStalled + ")\n" + t.render();
  }

  private String detectionLag(JsonObject json) {
    TextTable t = new TextTable("release", "model pace", ">requests", ">lag p50 tokens",
        ">lag max tokens", ">phrase shown", "finish_reason");
    JsonArray rows = new JsonArray();
    lagRow(t, rows, "optimistic", "unpaced", env.gateway(BenchPolicies.GUARD_OPTIMISTIC));
    lagRow(t, rows, "optimistic", String.format(Locale.ROOT, "%.0f tok/s", env.pacedTokensPerSecond),
        env.gatewayPaced(BenchPolicies.GUARD_OPTIMISTIC));
    lagRow(t, rows, "hold", String.format(Locale.ROOT, "%.0f tok/s", env.pacedTokensPerSecond),
        env.gatewayPaced(BenchPolicies.GUARD_HOLD));
    json.put("detection_lag", rows);
    env.forgetRequests();
    env.audit.drain();
    return "detection lag: a " + BenchEnvironment.HARMFUL_THOUGHT_WORDS + "-word thought with '"
        + BenchEnvironment.HARMFUL_PHRASE + "' after word " + BenchEnvironment.HARMFUL_AT_WORD
        + "; lag = thinking tokens the client received after the phrase\n" + t.render();
  }

  private void lagRow(TextTable t, JsonArray json, String release, String pace, Target target) {
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < LAG_REQUESTS; i++) {
      prompts.add(client.uniquePrompt(BenchEnvironment.HARMFUL_TAG));
    }
    List<StreamResult> results = client.runMany(target, prompts);
    int[] lags = new int[results.size()];
    int shown = 0;
    Map<String, Integer> finishes = new TreeMap<>();
    String firstError = null;
    for (int i = 0; i < results.size(); i++) {
      StreamResult r = results.get(i);
      String thinking = r.thinking();
      int at = thinking.indexOf(BenchEnvironment.HARMFUL_PHRASE);
      if (at >= 0) {
        shown++;
        lags[i] = TokenCount.words(
            thinking.substring(at + BenchEnvironment.HARMFUL_PHRASE.length()))
            + TokenCount.words(r.answer());
      }
      String finish = r.finishReason() == null ? "none" : r.finishReason();
      finishes.merge(r.done() ? finish : finish + " (no [DONE])", 1, Integer::sum);
      if (r.error() != null && firstError == null) {
        firstError = r.error();
      }
    }
    Arrays.sort(lags);
    int p50 = lags.length == 0 ? 0 : lags[(lags.length - 1) / 2];
    int max = lags.length == 0 ? 0 : lags[lags.length - 1];
    t.row(release, pace, results.size(), p50, max, shown + "/" + results.size(), finishes);
    json.add(new JsonObject().put("release", release).put("pace", pace)
        .put("requests", results.size()).put("lag_p50_tokens", p50).put("lag_max_tokens", max)
        .put("phrase_shown", shown).put("finish_reasons", new JsonObject(new TreeMap<String, Object>(finishes))));
    progress.line("guard detection lag " + release + " " + pace + ": p50 " + p50 + " max " + max
        + " tokens" + (firstError == null ? "" : "; first error: " + firstError));
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }
}
