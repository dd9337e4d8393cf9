package dev.thinkgate.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Runs every benchmark scenario with tiny counts against the real in-process gateway and checks
 * that the report's figures are sane (counts, orderings, cancellations), not how fast they are.
 */
class BenchSmokeIT {
  private static final int THINK = 16;
  private static final int ANSWER = 8;
  private static final int IDLE = 20;
  /** Held so the level sticks: java.util.logging keeps loggers weakly. */
  private final java.util.logging.Logger requestLog =
      java.util.logging.Logger.getLogger("thinkgate.request");

  @Test
  void tinyRunProducesASaneReport() {
    // Given tiny counts for every scenario (and no line per request in the test output)
    requestLog.setLevel(java.util.logging.Level.WARNING);
    BenchOptions options = new BenchOptions(Set.copyOf(BenchOptions.ALL_SCENARIOS), List.of(1, 4),
        1, 0.3, THINK, ANSWER, IDLE, 5, null, 100, 0.3, 0.5);
    ByteArrayOutputStream progress = new ByteArrayOutputStream();

    // When the benchmark runs
    Benchmark.Report report =
        new Benchmark(options, new PrintStream(progress, true, StandardCharsets.UTF_8)).run();

    // Then the text report has every section and the progress went to the given stream
    assertThat(report.text()).contains("== foundation ==", "== memory ==", "== modes ==",
        "== guard ==", "gateway/direct", "PASS", "head-of-line", "detection lag");
    assertThat(progress.toString(StandardCharsets.UTF_8)).contains("scenario guard", "done in");
    JsonObject foundation = section(report, "foundation");
    JsonObject memory = section(report, "memory");
    JsonObject modes = section(report, "modes");
    JsonObject guard = section(report, "guard");

    // foundation: the emulated model emitted exactly the scripted tokens on both paths, and
    // every row served streams without errors with ordered percentiles
    assertThat(foundation.getJsonObject("output_check").getJsonArray("direct"))
        .containsExactly(THINK, ANSWER);
    assertThat(foundation.getJsonObject("output_check").getJsonArray("gateway"))
        .containsExactly(THINK, ANSWER);
    JsonArray rows = foundation.getJsonArray("rows");
    assertThat(rows).hasSize(4);
    for (int i = 0; i < rows.size(); i++) {
      assertSaneRow(rows.getJsonObject(i));
    }
    assertThat(rows.getJsonObject(1).getString("target")).isEqualTo("gateway/passthrough");
    JsonArray pacedRows = foundation.getJsonArray("paced_rows");
    assertThat(pacedRows).hasSize(4);
    for (int i = 0; i < pacedRows.size(); i++) {
      assertSaneRow(pacedRows.getJsonObject(i));
    }
    assertThat(pacedRows.getJsonObject(1).getString("target"))
        .isEqualTo("gateway/passthrough@100tok/s");
    assertThat(foundation.getJsonArray("jit_warm_up")).isNotEmpty();
    JsonObject roundRatios = foundation.getJsonObject("round_ratios");
    assertThat(roundRatios.fieldNames()).containsExactlyInAnyOrder("1", "4");
    assertThat(roundRatios.getJsonArray("4")).hasSize(1);
    assertThat(roundRatios.getJsonArray("4").getDouble(0)).isPositive();
    assertThat(report.text()).contains("round by round");
    assertThat(foundation.getJsonArray("targets")).isEmpty(); // 64 and 256 streams not run

    // memory: all idle streams opened on both paths, the gateway held one upstream stream each,
    // and resetting the clients made the gateway cancel every upstream stream
    assertThat(memory.getInteger("failed_direct")).isZero();
    assertThat(memory.getInteger("failed_gateway")).isZero();
    assertThat(memory.getInteger("upstream_open_via_gateway")).isEqualTo(IDLE);
    assertThat(memory.getInteger("upstream_cancelled_by_gateway")).isEqualTo(IDLE);
    assertThat(memory.getInteger("upstream_left_after_reset")).isZero();
    assertThat(memory.getLong("heap_gateway_open_bytes")).isPositive();

    // modes: every variant served streams; MoreThink made its thinking rounds plus an answer call
    JsonArray modeRows = modes.getJsonArray("rows");
    assertThat(modeRows).hasSize(5);
    for (int i = 0; i < modeRows.size(); i++) {
      assertSaneRow(modeRows.getJsonObject(i));
    }
    assertThat(modes.getDouble("morethink_upstream_calls_per_request"))
        .isEqualTo(BenchPolicies.MORETHINK_ROUNDS + 1.0);
    // (a continuation is glued to the word before it, as in the paper, so words merge)
    assertThat(modes.getInteger("morethink_thinking_words"))
        .isGreaterThan((BenchPolicies.MORETHINK_ROUNDS - 1) * THINK);

    // guard: screened streams made between one guard call and the checkpoint bound per span,
    // each guard prompt carries the span, and holding added at least one guard latency
    JsonArray guardRows = guard.getJsonArray("rows");
    for (int i = 0; i < guardRows.size(); i++) {
      assertSaneRow(guardRows.getJsonObject(i));
    }
    assertThat(guard.getDouble("guard_calls_per_thinking_span"))
        .isBetween(1.0, (double) guard.getInteger("guard_calls_bound_thinking"));
    assertThat(guard.getDouble("guard_calls_per_answer_span"))
        .isBetween(1.0, (double) guard.getInteger("guard_calls_bound_answer"));
    assertThat(guard.getDouble("guard_prompt_words_per_generated_token")).isGreaterThan(1.0);
    assertThat(guard.getDouble("added_ttft_p50_ms_1_stream")).isGreaterThanOrEqualTo(5.0);
    JsonObject hol = guard.getJsonObject("head_of_line");
    assertThat(hol.getInteger("stalled_guard_calls")).isPositive();
    assertThat(hol.getBoolean("stalled_stream_still_waiting")).isTrue();
    assertThat(hol.getJsonObject("with_stall").getLong("requests")).isPositive();
    assertThat(hol.getJsonObject("with_stall").getLong("errors")).isZero();
    JsonArray lag = guard.getJsonArray("detection_lag");
    assertThat(lag).hasSize(3);
    JsonObject optimisticPaced = lag.getJsonObject(1);
    JsonObject holdPaced = lag.getJsonObject(2);
    // optimistic shows the phrase and stops within one checkpoint interval plus a guard call
    assertThat(optimisticPaced.getInteger("phrase_shown")).isEqualTo(optimisticPaced.getInteger("requests"));
    assertThat(optimisticPaced.getInteger("lag_max_tokens"))
        .isBetween(1, BenchPolicies.CHECKPOINT_TOKENS + 10);
    // hold never lets the unsafe phrase out
    assertThat(holdPaced.getInteger("phrase_shown")).isZero();
    assertThat(holdPaced.getInteger("lag_max_tokens")).isZero();

    // relay: a screened stream made its span checkpoints and the audit's whole-response verdict
    // (one call each here: spans shorter than a checkpoint), passthrough none, a guard call
    // alone cost its loop some CPU
    JsonObject relay = section(report, "relay");
    JsonObject calls = relay.getJsonObject("guard_calls");
    assertThat(calls.containsKey("gateway/passthrough")).isFalse();
    assertThat(calls.getJsonObject("gateway/guard-optimistic").getDouble("guard_calls_per_stream"))
        .isBetween(2.5, 3.5);
    assertThat(relay.getDouble("guard_call_alone_us")).isPositive();
    // one prompt repeated: the verdict cache answers (nearly) every checkpoint and audit verdict,
    // so that target measures screening without guard exchanges
    assertThat(relay.getDouble("cached_screening_guard_calls_per_stream")).isLessThan(0.5);
    assertThat(relay.getDouble("cached_screening_over_passthrough")).isPositive();
    // one round here: no interval yet, and the report says so by leaving it null
    assertThat(relay.getValue("screening_over_passthrough_interval")).isNull();
    // paired rounds: each screened target against passthrough at the same time, one round each
    JsonObject paired = relay.getJsonObject("paired");
    for (String t : List.of("gateway/passthrough-audited", "gateway/guard-optimistic",
        "gateway/balanced", "gateway/guard-optimistic-cached")) {
      assertThat(paired.getDouble(t)).as(t).isPositive();
      assertThat(paired.getJsonArray(t + "_rounds")).as(t).hasSize(1);
    }
    assertThat(report.text()).contains("paired (passthrough and the target at the same time");
    // a loop woken by a timer alone costs less than one that also makes a guard call then
    assertThat(relay.getDouble("loop_wake_up_alone_us")).isPositive()
        .isLessThan(relay.getDouble("guard_call_alone_us"));
    // and its JIT warm-up went through every gateway policy it measures, not only passthrough
    assertThat(relay.getJsonArray("jit_warm_up").stream()
        .map(r -> ((JsonObject) r).getString("target")).distinct())
        .containsExactly("gateway/passthrough", "gateway/guard-optimistic", "gateway/balanced");
  }

  private static JsonObject section(Benchmark.Report report, String name) {
    JsonArray sections = report.json().getJsonArray("sections");
    for (int i = 0; i < sections.size(); i++) {
      if (sections.getJsonObject(i).getString("name").equals(name)) {
        return sections.getJsonObject(i).getJsonObject("result");
      }
    }
    throw new AssertionError("no section " + name + " in " + report.json().encodePrettily());
  }

  private static void assertSaneRow(JsonObject row) {
    assertThat(row.getLong("requests")).as("requests of %s", row).isPositive();
    assertThat(row.getLong("errors")).as("errors of %s", row).isZero();
    assertThat(row.getDouble("requests_per_second")).isPositive();
    JsonObject ttft = row.getJsonObject("ttft_ms");
    JsonObject total = row.getJsonObject("total_ms");
    assertThat(ttft.getDouble("p50")).isPositive();
    assertThat(ttft.getDouble("p99")).isGreaterThanOrEqualTo(ttft.getDouble("p50"));
    assertThat(total.getDouble("p50")).isGreaterThanOrEqualTo(ttft.getDouble("p50"));
    assertThat(total.getDouble("p99")).isGreaterThanOrEqualTo(total.getDouble("p50"));
    assertThat(row.getJsonObject("gap_ms").getInteger("count")).isPositive();
  }
}
