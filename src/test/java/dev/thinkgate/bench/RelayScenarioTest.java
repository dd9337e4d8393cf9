package dev.thinkgate.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RelayScenarioTest {

  @Test
  void eachRoundStartsOneTargetLaterSoNoTargetAlwaysFollowsTheOthers() {
    List<String> order = List.of("direct", "nginx", "passthrough");
    assertThat(RelayScenario.rotated(order, 0)).containsExactly("direct", "nginx", "passthrough");
    assertThat(RelayScenario.rotated(order, 1)).containsExactly("nginx", "passthrough", "direct");
    assertThat(RelayScenario.rotated(order, 4)).containsExactly("nginx", "passthrough", "direct");
  }

  @Test
  void perRoundRatiosAreShownAsMedianAndRange() {
    assertThat(RelayScenario.spread(List.of(1.15, 0.98, 1.04))).isEqualTo("median 1.04 (0.98 … 1.15)");
    assertThat(RelayScenario.spread(List.of(1.2))).isEqualTo("median 1.20 (1.20 … 1.20)");
    assertThat(RelayScenario.spread(List.of())).isEqualTo("-");
  }

  @Test
  void aRunsRatioComesWithTheConfidenceIntervalOfItsRounds() {
    // geometric mean of five round ratios, t(0.975, 4) = 2.776 on their logarithms
    double[] ci = RelayScenario.confidenceInterval(List.of(1.13, 1.05, 1.21, 0.98, 1.10));
    assertThat(ci[0]).isCloseTo(0.9893, within(1e-4));
    assertThat(ci[1]).isCloseTo(1.2038, within(1e-4));
    assertThat(RelayScenario.interval(List.of(1.13, 1.05, 1.21, 0.98, 1.10)))
        .isEqualTo(", 95% interval 0.99 … 1.20");
    // two rounds: t(0.975, 1) = 12.706 makes the interval as wide as two rounds deserve
    assertThat(RelayScenario.confidenceInterval(List.of(1.0, 1.2))[1]).isCloseTo(3.4884, within(1e-4));
    // one round, or a round without chunks: no interval
    assertThat(RelayScenario.confidenceInterval(List.of(1.1))).isNull();
    assertThat(RelayScenario.interval(List.of(1.1))).isEmpty();
    assertThat(RelayScenario.confidenceInterval(List.of(1.1, 0.0))).isNull();
  }

  @Test
  void pairedRoundsAreReportedAsTheGeometricMeanOfTheirRatiosWithTheirInterval() {
    assertThat(RelayScenario.geometricMean(List.of(1.1, 1.2))).isCloseTo(Math.sqrt(1.32),
        org.assertj.core.data.Offset.offset(1e-12));
    assertThat(RelayScenario.geometricMean(List.of())).isNaN();
    java.util.Map<String, List<Double>> paired = new java.util.LinkedHashMap<>();
    paired.put("gateway/guard-optimistic", List.of(1.16, 1.14, 1.19));
    paired.put(RelayScenario.CACHED, List.of(1.10));
    paired.put(RelayScenario.AUDITED, List.of(1.06, 1.04));
    Section s = RelayScenario.withPaired(new Section("relay", "before\n",
        new io.vertx.core.json.JsonObject()), paired);

    assertThat(s.text()).startsWith("before\npaired (").contains(
        "\n  guard-optimistic 1.16 (target ≤ 1.10); per round median 1.16 (1.14 … 1.19), 95%"
            + " interval",
        "\n  guard-optimistic-cached 1.10; per round median 1.10 (1.10 … 1.10)\n",
        // references, not screening policies: no target
        "\n  passthrough-audited 1.05; per round median 1.06 (1.04 … 1.06), 95% interval");
    io.vertx.core.json.JsonObject json = s.json().getJsonObject("paired");
    assertThat(json.getDouble("gateway/guard-optimistic")).isEqualTo(1.163);
    assertThat(json.getJsonArray("gateway/guard-optimistic_rounds")).hasSize(3);
    assertThat(json.getJsonArray("gateway/guard-optimistic_interval")).hasSize(2);
    assertThat(json.getValue(RelayScenario.CACHED + "_interval")).isNull(); // one round
  }

  @Test
  void studentsTQuantileFollowsTheTableThenItsExpansion() {
    assertThat(RelayScenario.studentT975(9)).isEqualTo(2.262);
    assertThat(RelayScenario.studentT975(30)).isEqualTo(2.042);
    // published values: 2.021 (40), 2.000 (60), 1.980 (120)
    assertThat(RelayScenario.studentT975(40)).isCloseTo(2.021, within(1e-3));
    assertThat(RelayScenario.studentT975(60)).isCloseTo(2.000, within(1e-3));
    assertThat(RelayScenario.studentT975(120)).isCloseTo(1.980, within(1e-3));
  }

  @Test
  void eachGuardRequestIsChargedTheScreenedTargetsCpuAbovePassthrough() {
    // passthrough: 10 µs a chunk; screened: 12 µs a chunk over 1,000 chunks of 10 streams, which
    // had 30 verdicts in 20 guard requests: 2,000 µs above passthrough, 2 requests a stream,
    // 100 µs a request
    RelayScenario.Totals base = new RelayScenario.Totals(1_000, 10, 0, 0, 10_000_000, List.of(), List.of());
    RelayScenario.Totals screened = new RelayScenario.Totals(1_000, 10, 30, 20, 12_000_000, List.of(), List.of());
    Map<String, RelayScenario.Totals> totals = new LinkedHashMap<>();
    totals.put("gateway/passthrough", base);
    totals.put("gateway/guard-optimistic", screened);
    JsonObject json = new JsonObject();

    String line = RelayScenario.guardCallCost(totals, base, json);

    assertThat(line).isEqualTo("guard requests (CPU above passthrough per request):"
        + " guard-optimistic 3.0 verdicts in 2.0 requests a stream, 100 µs a request\n");
    JsonObject row = json.getJsonObject("guard_calls").getJsonObject("gateway/guard-optimistic");
    assertThat(row.getDouble("guard_calls_per_stream")).isEqualTo(3.0);
    assertThat(row.getDouble("guard_requests_per_stream")).isEqualTo(2.0);
    assertThat(row.getDouble("cpu_above_passthrough_per_request_us")).isEqualTo(100.0);
    assertThat(json.getJsonObject("guard_calls").containsKey("gateway/passthrough")).isFalse();
  }

  @Test
  void aGuardCallCountedInADirectRoundIsNotChargedToIt() {
    // a run printed "direct 0.0 calls a stream, -1313179 µs each": the audit's last verdict of
    // the round before was counted in direct's, whose CPU is not measured
    RelayScenario.Totals base = new RelayScenario.Totals(1_000, 10, 0, 0, 10_000_000, List.of(), List.of());
    Map<String, RelayScenario.Totals> totals = new LinkedHashMap<>();
    totals.put("direct", new RelayScenario.Totals(1_000, 10, 1, 0, 0, List.of(), List.of()));
    totals.put("nginx", new RelayScenario.Totals(1_000, 10, 1, 0, 5_000_000, List.of(), List.of()));
    totals.put("gateway/passthrough", base);
    JsonObject json = new JsonObject();

    assertThat(RelayScenario.guardCallCost(totals, base, json)).isEmpty();
    assertThat(json.getJsonObject("guard_calls").isEmpty()).isTrue();
  }

  @Test
  void theCachedTargetsFewCallsAreNotChargedTheWholeScreeningCost() {
    // its first stream's calls are its only ones: dividing its CPU above passthrough by them
    // would print one enormous "per call" figure for what is the screen's own work
    RelayScenario.Totals base = new RelayScenario.Totals(1_000, 10, 0, 0, 10_000_000, List.of(), List.of());
    Map<String, RelayScenario.Totals> totals = new LinkedHashMap<>();
    totals.put("gateway/passthrough", base);
    totals.put(RelayScenario.CACHED,
        new RelayScenario.Totals(1_000, 10, 3, 0, 10_500_000, List.of(), List.of()));
    JsonObject json = new JsonObject();

    assertThat(RelayScenario.guardCallCost(totals, base, json)).isEmpty();
    assertThat(json.getJsonObject("guard_calls").containsKey(RelayScenario.CACHED)).isFalse();
  }
}
