package dev.thinkgate.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.thinkgate.audit.SafetyMetrics.Dimension;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The audit report's shadow section over hand-written records. */
class ShadowReportTest {

  private static JsonObject record(String tenant, String action, String trialAction, String span,
      long offset, long ttft) {
    return new JsonObject().put("tenant", tenant).put("policy", "shadow-audit").put("action", action)
        .put("shadow", new JsonArray().add(new JsonObject().put("policy", "strict")
            .put("action", trialAction).put("span", span).put("offset", offset)
            .put("categories", new JsonArray(span == null ? List.of() : List.of("S9")))
            .put("added_ttft_ms", ttft)));
  }

  @Test
  void sharesWithWilsonIntervalsBreakdownHistogramsAndDisagreement() {
    // Given 4 trialed requests: 1 block in the answer, 1 hide in thinking, 2 passes; one unrelated record
    ShadowReport report = new ShadowReport(List.of(Dimension.TENANT));
    report.add(record("a", "pass", "block", "answer", 120, 300));
    report.add(record("a", "pass", "hide_reasoning", "thinking", 0, 0));
    report.add(record("b", "pass", "pass", null, -1, 0));
    report.add(record("b", "pass", "pass", null, -1, 60));
    report.add(new JsonObject().put("policy", "strict").put("action", "block"));

    JsonObject pair = report.toJson().getJsonObject("shadow-audit -> strict");

    // Then shares and intervals are per action, over the trialed requests only
    assertThat(pair.getLong("requests")).isEqualTo(4);
    JsonObject block = pair.getJsonObject("actions").getJsonObject("block");
    assertThat(block.getDouble("share")).isEqualTo(0.25);
    // Wilson 95% for 1/4: [0.0456, 0.6994]
    assertThat(block.getDouble("low")).isCloseTo(0.0456, within(1e-3));
    assertThat(block.getDouble("high")).isCloseTo(0.6994, within(1e-3));
    assertThat(pair.getJsonObject("by").getJsonObject("tenant").getJsonObject("b")
        .getJsonObject("actions").getJsonObject("pass").getLong("count")).isEqualTo(2);
    assertThat(pair.getJsonObject("categories").getLong("S9")).isEqualTo(2);
    assertThat(pair.getJsonObject("cut_offsets").getJsonObject("answer").getLong("100-499 chars"))
        .isEqualTo(1);
    assertThat(pair.getJsonObject("cut_offsets").getJsonObject("thinking").getLong("0-0 chars"))
        .isEqualTo(1);
    assertThat(pair.getJsonObject("added_ttft_ms").getLong("0-0 ms")).isEqualTo(2);
    assertThat(pair.getJsonObject("added_ttft_ms").getLong("50-199 ms")).isEqualTo(1);
    assertThat(pair.getJsonObject("disagreement").getLong("pass | block")).isEqualTo(1);
    assertThat(pair.getJsonObject("disagreement").getLong("pass | pass")).isEqualTo(2);
    assertThat(report.toText()).contains("shadow-audit -> strict  (4 requests)")
        .contains("tenant=a (2)");
    // And the HTML section has the same figures as tables, escaped
    String html = report.toHtml();
    assertThat(html).contains("<h3>shadow-audit -&gt; strict <small>(4 requests)</small></h3>")
        .contains("<td class=\"l\">block</td><td>1</td><td>25.0%</td><td>4.6% &ndash; 69.9%</td>")
        .contains("<td class=\"l\">tenant=b</td><td class=\"l\">pass</td><td>2</td>")
        .contains("<td class=\"l\">pass | block</td><td>1</td>")
        .doesNotContain("<pre>").doesNotContain("-> strict");
  }
}
