package dev.thinkgate.audit.report;

import static dev.thinkgate.audit.report.Formats.ci;
import static dev.thinkgate.audit.report.Formats.mean;
import static dev.thinkgate.audit.report.Formats.percent;
import static dev.thinkgate.audit.report.Formats.rate;

import dev.thinkgate.audit.AuditReader;
import dev.thinkgate.audit.SafetyReport;
import dev.thinkgate.audit.SafetyReport.CategoryRate;
import dev.thinkgate.audit.SafetyReport.LengthBin;
import dev.thinkgate.audit.SafetyReport.Rate;
import dev.thinkgate.audit.SafetyReport.Row;
import dev.thinkgate.audit.SafetyReport.Scope;
import dev.thinkgate.audit.SafetyReport.Table;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code thinkgate audit --format html} output: one self-contained page (inline CSS and SVG,
 * no scripts, fonts or images from elsewhere) with the metrics per breakdown row as bars with
 * their 95% intervals, the thinking × answer table as heatmaps, safety against thinking length,
 * and unsafe rate by category, followed by the tables of the text report.
 */
public final class HtmlReportRenderer {

  private static final String[] PALETTE =
      {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948", "#9c755f"};
  private static final String[] METRIC_COLORS = {"#4e79a7", "#59a14f", "#f28e2b"};
  private static final String[] METRIC_NAMES = {"Safe@1", "Safe@K", "ConsSafe@K"};

  public String render(SafetyReport report, AuditReader.Stats stats) {
    List<Row> rows = TextReportRenderer.rowsWithOverall(report);
    String keyTitle = report.by().isEmpty() ? "rows" : String.join("/", report.by());
    StringBuilder h = new StringBuilder(64 * 1024);
    h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>ThinkGate Safe@K report</title><style>")
        .append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;")
        .append("color:#222;max-width:1200px}h1{font-size:22px}h2{font-size:17px;")
        .append("margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}")
        .append("p.note{color:#555;font-size:13px}table{border-collapse:collapse;")
        .append("font-size:13px;margin:8px 0}th,td{padding:3px 9px;border-bottom:1px solid #eee;")
        .append("text-align:right}th{background:#f6f6f6}td.l,th.l{text-align:left}")
        .append(".charts{display:flex;flex-wrap:wrap;gap:16px}")
        .append("svg{background:#fff;border:1px solid #e4e4e4}")
        .append("svg text{font-family:system-ui,sans-serif}</style></head><body>");
    h.append("<h1>ThinkGate Safe@K report</h1><p class=\"note\">K = ").append(report.k())
        .append(" &middot; by ").append(esc(keyTitle)).append(" &middot; ")
        .append(stats.records()).append(" records from ").append(esc(stats.sources()))
        .append(stats.badLines() > 0
            ? " &middot; " + stats.badLines() + " bad lines skipped" : "")
        .append(". A sample is safe when its thinking and its answer are both judged safe. "
            + "Whiskers and intervals: Wilson 95% (n = samples for Safe@1, groups for Safe@K "
            + "and ConsSafe@K).</p>");

    h.append("<h2>Safety per ").append(esc(keyTitle)).append("</h2><div class=\"charts\">");
    for (Scope scope : Scope.values()) {
      h.append(metricBars(rows, scope));
    }
    h.append("</div>");

    h.append("<h2>Thinking &times; answer</h2><div class=\"charts\">");
    for (int i = 0; i < rows.size(); i++) {
      h.append(heatmap(rows.get(i)));
    }
    h.append("</div>");

    h.append("<h2>Safety vs thinking length</h2><div class=\"charts\">")
        .append(lengthChart(rows)).append("</div>");

    h.append("<h2>Unsafe rate by category</h2><div class=\"charts\">")
        .append(categoryChart(report.overall())).append("</div>");

    h.append("<h2>Tables</h2>").append(tables(rows, keyTitle));
    h.append("</body></html>\n");
    return h.toString();
  }

  private static String metricBars(List<Row> rows, Scope scope) {
    int width = 370;
    int height = 290;
    int left = 40;
    int top = 40;
    int bottom = 82;
    int plotH = height - top - bottom;
    int plotW = width - left - 12;
    StringBuilder s = svg(width, height);
    s.append(text(width / 2.0, 18, "middle", 14, "bold",
        scope == Scope.RESPONSE ? "whole response (SafeChain)"
            : scope == Scope.BOTH ? "thinking + answer" : scope.wire() + " only"));
    axisY(s, left, top, plotW, plotH);
    double groupW = (double) plotW / Math.max(1, rows.size());
    double barW = Math.min(28, groupW / 4);
    int longest = rows.stream().mapToInt(r -> r.label().length()).max().orElse(0);
    boolean slanted = longest * 7 > groupW;
    for (int i = 0; i < rows.size(); i++) {
      Row row = rows.get(i);
      var m = row.metrics(scope);
      Rate[] rates = {m.safeAt1(), m.safeAtK(), m.consSafeAtK()};
      double x0 = left + i * groupW + (groupW - 3 * barW) / 2;
      for (int j = 0; j < 3; j++) {
        Rate r = rates[j];
        double x = x0 + j * barW;
        if (r.n() > 0) {
          double y = top + plotH * (1 - r.value());
          s.append(String.format(Locale.ROOT,
              "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                  + "<title>%s %s: %s %s</title></rect>",
              x + 1, y, barW - 2, top + plotH - y, METRIC_COLORS[j], esc(row.label()),
              METRIC_NAMES[j], rate(r.value()), ci(r)));
          double cx = x + barW / 2;
          double yl = top + plotH * (1 - r.low());
          double yh = top + plotH * (1 - r.high());
          s.append(String.format(Locale.ROOT,
              "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f\" stroke=\"#222\" "
                  + "stroke-width=\"1\"/>",
              cx, yl, yh, cx - 3, yl, cx + 3, cx - 3, yh, cx + 3));
        }
      }
      double lx = left + (i + 0.5) * groupW;
      if (slanted) {
        // Crowded: slant the label so neighbours do not run into each other.
        s.append(String.format(Locale.ROOT,
            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\" font-size=\"11\" fill=\"#222\" "
                + "transform=\"rotate(-35 %.1f %d)\">%s</text>",
            lx, top + plotH + 14, lx, top + plotH + 14, esc(row.label())));
      } else {
        s.append(text(lx, top + plotH + 16, "middle", 12, "normal", row.label()));
      }
    }
    for (int j = 0; j < 3; j++) {
      double lx = left + j * 110;
      s.append(String.format(Locale.ROOT,
          "<rect x=\"%.1f\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>", lx,
          height - 20, METRIC_COLORS[j]));
      s.append(text(lx + 14, height - 11, "start", 11, "normal", METRIC_NAMES[j]));
    }
    return s.append("</svg>").toString();
  }

  private static String heatmap(Row row) {
    Table t = row.table();
    int cell = 86;
    int left = 104;
    int top = 48;
    int width = left + 2 * cell + 12;
    int height = top + 2 * cell + 12;
    StringBuilder s = svg(width, height);
    s.append(text(width / 2.0, 18, "middle", 13, "bold", row.label() + " (n=" + t.total() + ")"));
    s.append(text(left + cell / 2.0, top - 8, "middle", 11, "normal", "answer safe"));
    s.append(text(left + 1.5 * cell, top - 8, "middle", 11, "normal", "answer unsafe"));
    s.append(text(left - 6, top + cell / 2.0 + 4, "end", 11, "normal", "thinking safe"));
    s.append(text(left - 6, top + 1.5 * cell + 4, "end", 11, "normal", "thinking unsafe"));
    long[][] counts = {{t.bothSafe(), t.thinkingSafeAnswerUnsafe()},
        {t.thinkingUnsafeAnswerSafe(), t.bothUnsafe()}};
    for (int r = 0; r < 2; r++) {
      for (int c = 0; c < 2; c++) {
        double pct = t.percent(counts[r][c]);
        double share = Double.isFinite(pct) ? pct / 100 : 0;
        // Safe-safe cell in green, the others in red: intensity = share of samples.
        String base = r == 0 && c == 0 ? "89,161,79" : "225,87,89";
        s.append(String.format(Locale.ROOT,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgba(%s,%.3f)\" "
                + "stroke=\"#999\"/>",
            left + c * cell, top + r * cell, cell, cell, base, 0.08 + 0.92 * share));
        s.append(text(left + c * cell + cell / 2.0, top + r * cell + cell / 2.0, "middle", 15,
            "bold", percent(pct)));
        s.append(text(left + c * cell + cell / 2.0, top + r * cell + cell / 2.0 + 17, "middle",
            11, "normal", Long.toString(counts[r][c])));
      }
    }
    return s.append("</svg>").toString();
  }

  private static String lengthChart(List<Row> rows) {
    List<LengthBin> labels = rows.get(0).thinkingLengthBins();
    int width = 620;
    int height = 300;
    int left = 44;
    int top = 30;
    int bottom = 62;
    int plotW = width - left - 16;
    int plotH = height - top - bottom;
    StringBuilder s = svg(width, height);
    s.append(text(width / 2.0, 18, "middle", 13, "bold",
        "share of safe samples by thinking length (whitespace tokens)"));
    axisY(s, left, top, plotW, plotH);
    double step = (double) plotW / labels.size();
    for (int b = 0; b < labels.size(); b++) {
      s.append(text(left + (b + 0.5) * step, top + plotH + 16, "middle", 11, "normal",
          labels.get(b).label()));
    }
    for (int i = 0; i < rows.size(); i++) {
      String color = PALETTE[i % PALETTE.length];
      StringBuilder path = new StringBuilder();
      List<LengthBin> bins = rows.get(i).thinkingLengthBins();
      for (int b = 0; b < bins.size(); b++) {
        Rate r = bins.get(b).safe();
        if (r.n() == 0) {
          continue;
        }
        // A small offset per row keeps coinciding points of different rows visible.
        double x = left + (b + 0.5) * step + (i - (rows.size() - 1) / 2.0) * 6;
        double y = top + plotH * (1 - r.value());
        path.append(path.length() == 0 ? "M" : "L")
            .append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
        s.append(String.format(Locale.ROOT,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"><title>%s, %s tokens: "
                + "%s safe of %d</title></circle>",
            x, y, 3 + Math.min(4, Math.log10(r.n() + 1)), color, esc(rows.get(i).label()),
            esc(bins.get(b).label()), rate(r.value()), r.n()));
      }
      if (path.length() > 0) {
        s.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(color)
            .append("\" stroke-width=\"2\"/>");
      }
    }
    legend(s, rows, left, height - 22);
    return s.append("</svg>").toString();
  }

  private static String categoryChart(Row overall) {
    List<CategoryRate> cats = overall.categories();
    if (cats.isEmpty()) {
      return "<p class=\"note\">No category was flagged.</p>";
    }
    int barH = 20;
    int left = 140;
    int top = 30;
    int width = 620;
    int plotW = width - left - 120;
    int height = top + cats.size() * (barH + 6) + 30;
    double max = 0;
    for (CategoryRate c : cats) {
      max = Math.max(max, c.rate().high());
    }
    max = max <= 0 ? 1 : Math.min(1, Math.ceil(max * 10) / 10);
    StringBuilder s = svg(width, height);
    s.append(text(width / 2.0, 18, "middle", 13, "bold",
        "samples flagged per category (all rows, thinking or answer)"));
    for (int i = 0; i < cats.size(); i++) {
      CategoryRate c = cats.get(i);
      double y = top + i * (barH + 6);
      double w = plotW * c.rate().value() / max;
      s.append(text(left - 8, y + barH - 5, "end", 12, "normal", c.category()));
      s.append(String.format(Locale.ROOT,
          "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"#e15759\">"
              + "<title>%s: %d of %d samples</title></rect>",
          left, y, Math.max(1, w), barH, esc(c.category()), c.either(), c.rate().n()));
      s.append(String.format(Locale.ROOT,
          "<path d=\"M%.1f %.1fH%.1f\" stroke=\"#222\"/>", left + plotW * c.rate().low() / max,
          y + barH / 2.0, left + plotW * c.rate().high() / max));
      s.append(text(left + Math.max(w, plotW * c.rate().high() / max) + 6, y + barH - 5,
          "start", 11, "normal",
          percent(100 * c.rate().value()) + " (" + c.either() + ")"));
    }
    double axisY = top + cats.size() * (barH + 6) + 4;
    s.append(String.format(Locale.ROOT, "<path d=\"M%d %.1fH%d\" stroke=\"#888\"/>", left, axisY,
        left + plotW));
    s.append(text(left, axisY + 14, "middle", 10, "normal", "0%"));
    s.append(text(left + plotW, axisY + 14, "middle", 10, "normal",
        percent(100 * max)));
    return s.append("</svg>").toString();
  }

  private static String tables(List<Row> rows, String keyTitle) {
    StringBuilder h = new StringBuilder();
    h.append("<table><tr><th class=\"l\">").append(esc(keyTitle)).append("</th>")
        .append("<th class=\"l\">span</th><th>groups</th><th>samples</th>")
        .append("<th>Safe@1</th><th>95% CI</th><th>Safe@K</th><th>95% CI</th>")
        .append("<th>ConsSafe@K</th><th>95% CI</th></tr>");
    for (Row row : rows) {
      for (Scope scope : Scope.values()) {
        var m = row.metrics(scope);
        boolean first = scope == Scope.values()[0];
        h.append("<tr><td class=\"l\">").append(first ? esc(row.label()) : "")
            .append("</td><td class=\"l\">")
            .append(esc(TextReportRenderer.spanLabel(scope, row))).append("</td><td>")
            .append(first ? row.coverage().countedGroups() : "").append("</td><td>")
            .append(first ? row.samples() : "").append("</td>");
        for (Rate r : new Rate[] {m.safeAt1(), m.safeAtK(), m.consSafeAtK()}) {
          h.append("<td>").append(rate(r.value())).append("</td><td>").append(ci(r))
              .append("</td>");
        }
        h.append("</tr>");
      }
    }
    h.append("</table>");
    Map<String, List<String>> lengthRows = new LinkedHashMap<>();
    h.append("<table><tr><th class=\"l\">").append(esc(keyTitle)).append("</th>")
        .append("<th>safe n</th><th>safe mean tokens</th><th>unsafe n</th>")
        .append("<th>unsafe mean tokens</th><th>records</th><th>short groups</th>")
        .append("<th>unjudged samples</th><th>duplicates</th></tr>");
    for (Row row : rows) {
      var l = row.lengths();
      var c = row.coverage();
      List<String> cells = new ArrayList<>(List.of(Long.toString(l.safeSamples()),
          mean(l.safeMeanTokens()), Long.toString(l.unsafeSamples()), mean(l.unsafeMeanTokens()),
          Long.toString(c.records()), Long.toString(c.shortGroups()),
          Long.toString(c.unjudgedSamples()), Long.toString(c.duplicateSamples())));
      lengthRows.put(row.label(), cells);
    }
    lengthRows.forEach((label, cells) -> {
      h.append("<tr><td class=\"l\">").append(esc(label)).append("</td>");
      cells.forEach(c -> h.append("<td>").append(c).append("</td>"));
      h.append("</tr>");
    });
    return h.append("</table>").toString();
  }

  private static StringBuilder svg(int width, int height) {
    return new StringBuilder().append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            + "viewBox=\"0 0 %d %d\" role=\"img\">", width, height, width, height));
  }

  private static void axisY(StringBuilder s, int left, int top, int plotW, int plotH) {
    for (int i = 0; i <= 4; i++) {
      double v = i / 4.0;
      double y = top + plotH * (1 - v);
      s.append(String.format(Locale.ROOT,
          "<path d=\"M%d %.1fH%d\" stroke=\"%s\"/>", left, y, left + plotW,
          i == 0 ? "#888" : "#eee"));
      s.append(text(left - 5, y + 4, "end", 10, "normal",
          String.format(Locale.ROOT, "%.2f", v)));
    }
  }

  private static void legend(StringBuilder s, List<Row> rows, int left, int y) {
    double x = left;
    for (int i = 0; i < rows.size(); i++) {
      s.append(String.format(Locale.ROOT,
          "<rect x=\"%.1f\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>", x, y,
          PALETTE[i % PALETTE.length]));
      String label = rows.get(i).label();
      s.append(text(x + 14, y + 9, "start", 11, "normal", label));
      x += 24 + 7 * label.length();
    }
  }

  private static String text(double x, double y, String anchor, int size, String weight,
      String content) {
    return String.format(Locale.ROOT,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" font-weight=\"%s\" "
            + "fill=\"#222\">%s</text>", x, y, anchor, size, weight, esc(content));
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
