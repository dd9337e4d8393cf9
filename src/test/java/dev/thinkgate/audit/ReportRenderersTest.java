package dev.thinkgate.audit;

import static dev.thinkgate.audit.AuditFixtures.group;
import static dev.thinkgate.audit.AuditFixtures.record;
import static dev.thinkgate.audit.AuditFixtures.verdict;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.audit.SafetyMetrics.Dimension;
import dev.thinkgate.audit.report.HtmlReportRenderer;
import dev.thinkgate.audit.report.TextReportRenderer;
import dev.thinkgate.cli.AuditCommand;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ReportRenderersTest {

  @TempDir Path dir;

  private static SafetyReport report() {
    SafetyMetrics metrics = new SafetyMetrics(2, List.of(Dimension.MODE));
    group("zerothink", "z1", "SS").forEach(metrics::add);
    group("passthrough", "p1", "SU").forEach(metrics::add);
    metrics.add(record("passthrough", "p2", 0, verdict(false, "S9"), verdict(true), "a b", "c"));
    metrics.add(record("passthrough", "p2", 1, verdict(true), verdict(true), "<script>", "d"));
    metrics.add(group("passthrough", "short", "S").get(0));
    return metrics.report();
  }

  private static final AuditReader.Stats STATS = new AuditReader.Stats(1, 100, 7, 7, 0);

  @Test
  void textReportHasAlignedRowsPerModeAndTheOverallRow() {
    String text = new TextReportRenderer().render(report(), STATS);

    assertThat(text).startsWith("Safe@K report: K=2, by mode, 7 records from 1 file\n");
    // These records carry no verdicts.response: the default row says it fell back to the spans.
    assertThat(text).containsPattern(
        "passthrough\\s+response \\(4 from spans\\)\\s+2\\s+4\\s+0\\.500\\s+\\[0\\.150, 0\\.850\\]\\s+"
            + "0\\.000\\s+\\[0\\.000, 0\\.658\\]\\s+1\\.000");
    assertThat(text).containsPattern(
        "\\n\\s+thinking\\+answer\\s+0\\.500\\s+\\[0\\.150, 0\\.850\\]");
    assertThat(text).containsPattern("zerothink\\s+response \\(2 from spans\\)\\s+1\\s+2\\s+1\\.000");
    assertThat(text).containsPattern("(?m)^all\\s+response \\(6 from spans\\)\\s+3\\s+6");
    assertThat(text).containsPattern("passthrough\\s+S9\\s+1\\s+0\\s+1\\s+0\\.250");
    assertThat(text).containsPattern("(?m)^passthrough\\s+5\\s+3\\s+2\\s+1");
    // Every line of the metrics table has its columns at the same offsets.
    List<String> lines = text.lines().toList();
    int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("mode ")).findFirst()
        .orElseThrow());
    int safeAt1Column = lines.get(header).indexOf("Safe@1") + "Safe@1".length();
    assertThat(lines.get(header + 2).charAt(safeAt1Column - 1)).isEqualTo('0');
  }

  @Test
  void htmlReportIsOneSelfContainedPage() {
    String html = new HtmlReportRenderer().render(report(), STATS);

    assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n");
    assertThat(html).doesNotContain("<script").doesNotContain("<link").doesNotContain("<img")
        .doesNotContain("@import").doesNotContain("url(");
    assertThat(Pattern.compile("https?://").matcher(html).results()
        .allMatch(m -> html.startsWith("http://www.w3.org/2000/svg", m.start()))).isTrue();
    assertThat(Pattern.compile("<svg ").matcher(html).results().count())
        .as("4 metric charts, 3 heatmaps, length and category charts").isEqualTo(9);
    assertThat(html).contains("thinking + answer").contains("answer unsafe")
        .contains("S9").contains("Safety vs thinking length");
  }

  @Test
  void auditCommandWritesJsonWithTheReadStats() throws Exception {
    // Given
    Path file = dir.resolve("a.jsonl");
    StringBuilder lines = new StringBuilder();
    group("zerothink", "z1", "SSU").forEach(r -> lines.append(r.encode()).append('\n'));
    Files.writeString(file, lines + "{broken\n");
    Path out = dir.resolve("report.json");

    // When
    int exit = new CommandLine(new AuditCommand()).execute(dir.toString(), "--k", "3",
        "--by", "mode,tenant", "--format", "json", "--out", out.toString());

    // Then
    assertThat(exit).isZero();
    JsonObject json = new JsonObject(Files.readString(out));
    assertThat(json.getJsonObject("read").getLong("bad_lines")).isEqualTo(1);
    assertThat(json.getJsonArray("by").getList()).containsExactly("mode", "tenant");
    JsonObject row = json.getJsonArray("rows").getJsonObject(0);
    assertThat(row.getJsonObject("key").getString("mode")).isEqualTo("zerothink");
    assertThat(row.getJsonObject("metrics").getJsonObject("both").getJsonObject("safe_at_1")
        .getDouble("value")).isCloseTo(2.0 / 3, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void auditCommandRejectsAnUnknownBreakdown() {
    int exit = new CommandLine(new AuditCommand()).execute(dir.toString(), "--by", "region");

    assertThat(exit).isEqualTo(2);
  }
}
