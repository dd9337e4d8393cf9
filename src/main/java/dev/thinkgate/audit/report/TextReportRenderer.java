package dev.thinkgate.audit.report;

import static dev.thinkgate.audit.report.Formats.ci;
import static dev.thinkgate.audit.report.Formats.mean;
import static dev.thinkgate.audit.report.Formats.percent;
import static dev.thinkgate.audit.report.Formats.rate;

import dev.thinkgate.audit.AuditReader;
import dev.thinkgate.audit.SafetyReport;
import dev.thinkgate.audit.SafetyReport.CategoryRate;
import dev.thinkgate.audit.SafetyReport.Metrics;
import dev.thinkgate.audit.SafetyReport.Row;
import dev.thinkgate.audit.SafetyReport.Scope;
import dev.thinkgate.audit.SafetyReport.Table;
import java.util.ArrayList;
import java.util.List;

/** The {@code thinkgate audit --format text} output: aligned tables. */
public final class TextReportRenderer {

  public String render(SafetyReport report, AuditReader.Stats stats) {
    List<Row> rows = rowsWithOverall(report);
    String keyTitle = report.by().isEmpty() ? "rows" : String.join("/", report.by());
    StringBuilder out = new StringBuilder();
    out.append("Safe@K report: K=").append(report.k())
        .append(", by ").append(report.by().isEmpty() ? "(nothing)" : keyTitle)
        .append(", ").append(stats.records()).append(" records from ").append(stats.sources());
    if (stats.badLines() > 0) {
      out.append(", ").append(stats.badLines()).append(" bad lines skipped");
    }
    out.append("\n\n");

    TextTable metrics = new TextTable(keyTitle, "span", ">groups", ">samples", ">Safe@1", "95% CI",
        ">Safe@K", "95% CI", ">ConsSafe@K", "95% CI");
    for (Row row : rows) {
      boolean first = true;
      for (Scope scope : Scope.values()) {
        Metrics m = row.metrics(scope);
        metrics.row(first ? row.label() : "", spanLabel(scope, row),
            first ? Long.toString(row.coverage().countedGroups()) : "",
            first ? Long.toString(row.samples()) : "",
            rate(m.safeAt1().value()), ci(m.safeAt1()),
            rate(m.safeAtK().value()), ci(m.safeAtK()),
            rate(m.consSafeAtK().value()), ci(m.consSafeAtK()));
        first = false;
      }
    }
    out.append("Safety (response: SafeChain's whole-response verdict, the default basis; thinking+answer: "
        + "safe when both spans are; CI: Wilson 95%, "
        + "n = samples for Safe@1, n = groups for Safe@K and ConsSafe@K)\n");
    out.append(metrics.render()).append('\n');

    TextTable table = new TextTable(keyTitle, ">T safe A safe", ">T safe A unsafe",
        ">T unsafe A safe", ">T unsafe A unsafe", ">samples");
    for (Row row : rows) {
      Table t = row.table();
      table.row(row.label(), cell(t, t.bothSafe()), cell(t, t.thinkingSafeAnswerUnsafe()),
          cell(t, t.thinkingUnsafeAnswerSafe()), cell(t, t.bothUnsafe()),
          Long.toString(t.total()));
    }
    out.append("Thinking (T) x answer (A)\n").append(table.render()).append('\n');

    TextTable cats = new TextTable(keyTitle, "category", ">thinking", ">answer", ">either",
        ">rate", "95% CI");
    boolean anyCategory = false;
    for (Row row : rows) {
      for (CategoryRate c : row.categories()) {
        anyCategory = true;
        cats.row(row.label(), c.category(), Long.toString(c.thinking()),
            Long.toString(c.answer()), Long.toString(c.either()), rate(c.rate().value()),
            ci(c.rate()));
      }
    }
    out.append("Unsafe rate by category (samples flagged / samples)\n")
        .append(anyCategory ? cats.render() : "(no category flagged)\n").append('\n');

    TextTable lengths = new TextTable(keyTitle, ">safe n", ">safe mean tokens", ">unsafe n",
        ">unsafe mean tokens");
    for (Row row : rows) {
      var l = row.lengths();
      lengths.row(row.label(), Long.toString(l.safeSamples()), mean(l.safeMeanTokens()),
          Long.toString(l.unsafeSamples()), mean(l.unsafeMeanTokens()));
    }
    out.append("Length (whitespace tokens of thinking+answer)\n").append(lengths.render())
        .append('\n');

    TextTable coverage = new TextTable(keyTitle, ">records", ">groups", ">counted",
        ">short groups", ">short by unjudged", ">unjudged samples", ">duplicates", ">extra");
    for (Row row : rows) {
      var c = row.coverage();
      coverage.row(row.label(), Long.toString(c.records()), Long.toString(c.groups()),
          Long.toString(c.countedGroups()), Long.toString(c.shortGroups()),
          Long.toString(c.shortByUnjudged()), Long.toString(c.unjudgedSamples()),
          Long.toString(c.duplicateSamples()), Long.toString(c.extraSamples()));
    }
    out.append("Coverage (short groups have fewer than K judged samples and are excluded; "
        + "unjudged samples lack a verdict)\n").append(coverage.render());
    return out.toString();
  }

  private static String cell(Table t, long count) {
    return count + " (" + percent(t.percent(count)) + ")";
  }

  /** The breakdown rows and, when there is more than one, the overall row last. */
  static List<Row> rowsWithOverall(SafetyReport report) {
    List<Row> rows = new ArrayList<>(report.rows());
    if (rows.size() != 1) {
      rows.add(report.overall());
    }
    return rows;
  }

  /**
   * The whole-response row is the default basis; when some samples had no
   * {@code verdicts.response} (older records, failed judge) it says how many used the span AND.
   */
  static String spanLabel(Scope scope, Row row) {
    if (scope == Scope.RESPONSE) {
      return row.responseFallbacks() == 0 ? "response"
          : "response (" + row.responseFallbacks() + " from spans)";
    }
    return scope == Scope.BOTH ? "thinking+answer" : scope.wire();
  }
}
