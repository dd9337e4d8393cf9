package dev.thinkgate.audit;

import dev.thinkgate.audit.SafetyMetrics.Dimension;
import dev.thinkgate.audit.SafetyReport.Rate;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The shadow section of {@code thinkgate audit}: per served policy × trialed policy (the records'
 * {@code shadow} field), the share of requests each action would hit (Wilson 95%), broken down
 * by the {@code --by} dimensions and by category; cut offsets per span and added TTFT as
 * histograms (bounded memory whatever the input size); the disagreement table (served action ×
 * trial action). Not thread-safe: fed by one reader.
 */
public final class ShadowReport {
  private static final long[] OFFSET_BOUNDS = {1, 100, 500, 2_000, 10_000, Long.MAX_VALUE};
  private static final long[] TTFT_BOUNDS = {1, 50, 200, 500, 1_000, 5_000, Long.MAX_VALUE};

  private final List<Dimension> by;
  private final Map<String, Pair> pairs = new TreeMap<>();

  public ShadowReport(List<Dimension> by) {
    this.by = List.copyOf(by);
  }

  /** Counts of one served × trialed pair, or of one breakdown cell of it. */
  private static final class Cell {
    long n;
    final Map<String, Long> actions = new TreeMap<>();

    void add(String action) {
      n++;
      actions.merge(action, 1L, Long::sum);
    }

    JsonObject toJson() {
      JsonObject a = new JsonObject();
      actions.forEach((action, count) -> {
        Rate r = Rate.wilson(count, n);
        a.put(action, new JsonObject().put("count", count).put("share", r.value())
            .put("low", r.low()).put("high", r.high()));
      });
      return new JsonObject().put("requests", n).put("actions", a);
    }
  }

  private static final class Pair {
    final Cell all = new Cell();
    final Map<String, Map<String, Cell>> byDimension = new TreeMap<>();
    final Map<String, Long> categories = new TreeMap<>();
    final Map<String, long[]> offsets = new TreeMap<>();
    final long[] ttft = new long[TTFT_BOUNDS.length];
    final Map<String, Long> disagreement = new TreeMap<>();
  }

  public void add(JsonObject record) {
    if (!(record.getValue("shadow") instanceof JsonArray trials)) {
      return;
    }
    String served = record.getString("policy", "-");
    String servedAction = record.getString("action", "pass");
    for (Object o : trials) {
      if (!(o instanceof JsonObject t)) {
        continue;
      }
      String action = t.getString("action", "pass");
      Pair p = pairs.computeIfAbsent(served + " -> " + t.getString("policy", "-"), k -> new Pair());
      p.all.add(action);
      for (Dimension d : by) {
        p.byDimension.computeIfAbsent(d.wire(), k -> new TreeMap<>())
            .computeIfAbsent(d.of(record), k -> new Cell()).add(action);
      }
      if (t.getValue("categories") instanceof JsonArray cats && !"skipped".equals(action)) {
        for (Object c : cats) {
          p.categories.merge(String.valueOf(c), 1L, Long::sum);
        }
      }
      String span = t.getString("span");
      if (span != null && t.getValue("offset") instanceof Number off && off.longValue() >= 0) {
        p.offsets.computeIfAbsent(span, k -> new long[OFFSET_BOUNDS.length])
            [bin(OFFSET_BOUNDS, off.longValue())]++;
      }
      if (t.getValue("added_ttft_ms") instanceof Number ms && ms.longValue() >= 0) {
        p.ttft[bin(TTFT_BOUNDS, ms.longValue())]++;
      }
      p.disagreement.merge(servedAction + " | " + action, 1L, Long::sum);
    }
  }

  private static int bin(long[] bounds, long v) {
    for (int i = 0; i < bounds.length; i++) {
      if (v < bounds[i]) {
        return i;
      }
    }
    return bounds.length - 1;
  }

  private static JsonObject histogram(long[] bounds, long[] counts, String unit) {
    JsonObject h = new JsonObject();
    long lower = 0;
    for (int i = 0; i < bounds.length; i++) {
      String label = bounds[i] == Long.MAX_VALUE ? ">=" + lower + unit
          : lower + "-" + (bounds[i] - 1) + unit;
      h.put(label, counts[i]);
      lower = bounds[i];
    }
    return h;
  }

  public boolean isEmpty() {
    return pairs.isEmpty();
  }

  public JsonObject toJson() {
    JsonObject out = new JsonObject();
    pairs.forEach((key, p) -> {
      JsonObject j = p.all.toJson();
      JsonObject dims = new JsonObject();
      p.byDimension.forEach((dim, cells) -> {
        JsonObject c = new JsonObject();
        cells.forEach((value, cell) -> c.put(value, cell.toJson()));
        dims.put(dim, c);
      });
      j.put("by", dims);
      JsonObject cats = new JsonObject();
      p.categories.forEach(cats::put);
      j.put("categories", cats);
      JsonObject offsets = new JsonObject();
      p.offsets.forEach((span, counts) -> offsets.put(span, histogram(OFFSET_BOUNDS, counts, " chars")));
      j.put("cut_offsets", offsets);
      j.put("added_ttft_ms", histogram(TTFT_BOUNDS, p.ttft, " ms"));
      JsonObject d = new JsonObject();
      p.disagreement.forEach(d::put);
      j.put("disagreement", d);
      out.put(key, j);
    });
    return out;
  }

  /** Plain text: one block per served × trialed pair. */
  public String toText() {
    StringBuilder sb = new StringBuilder();
    if (pairs.isEmpty()) {
      return sb.toString();
    }
    sb.append("\nShadow trials (served policy -> trialed policy; share of requests each action"
        + " would hit, CI: Wilson 95%)\n");
    JsonObject j = toJson();
    for (String key : j.fieldNames()) {
      JsonObject p = j.getJsonObject(key);
      sb.append("  ").append(key).append("  (").append(p.getLong("requests")).append(" requests)\n");
      appendActions(sb, "    ", p.getJsonObject("actions"));
      JsonObject dims = p.getJsonObject("by");
      for (String dim : dims.fieldNames()) {
        JsonObject cells = dims.getJsonObject(dim);
        for (String value : cells.fieldNames()) {
          JsonObject cell = cells.getJsonObject(value);
          sb.append("    ").append(dim).append('=').append(value).append(" (")
              .append(cell.getLong("requests")).append(")\n");
          appendActions(sb, "      ", cell.getJsonObject("actions"));
        }
      }
      sb.append("    categories: ").append(p.getJsonObject("categories").encode()).append('\n');
      JsonObject offsets = p.getJsonObject("cut_offsets");
      for (String span : offsets.fieldNames()) {
        sb.append("    cut offset in ").append(span).append(": ")
            .append(offsets.getJsonObject(span).encode()).append('\n');
      }
      sb.append("    added TTFT: ").append(p.getJsonObject("added_ttft_ms").encode()).append('\n');
      sb.append("    served action | trial action:\n");
      JsonObject d = p.getJsonObject("disagreement");
      for (String cell : d.fieldNames()) {
        sb.append(String.format("      %-40s %8d%n", cell, d.getLong(cell)));
      }
    }
    return sb.toString();
  }

  /**
   * The HTML section: per served × trialed pair, tables of the actions' shares with their
   * Wilson intervals (overall and per {@code --by} value), categories, cut offsets, added TTFT
   * and the disagreement table. Every text is escaped.
   */
  public String toHtml() {
    StringBuilder h = new StringBuilder();
    if (pairs.isEmpty()) {
      return "";
    }
    h.append("<section id=\"shadow\"><h2>Shadow trials</h2><p class=\"note\">What each trialed"
        + " policy would have done on the traffic served under another: share of requests per"
        + " action, 95% Wilson interval.</p>\n");
    JsonObject j = toJson();
    for (String key : j.fieldNames()) {
      JsonObject p = j.getJsonObject(key);
      h.append("<h3>").append(esc(key)).append(" <small>(").append(p.getLong("requests"))
          .append(" requests)</small></h3>\n");
      h.append("<table><tr><th class=\"l\">scope</th><th class=\"l\">action</th><th>count</th>"
          + "<th>share</th><th>95% CI</th></tr>\n");
      actionRows(h, "all", p.getJsonObject("actions"));
      JsonObject dims = p.getJsonObject("by");
      for (String dim : dims.fieldNames()) {
        JsonObject cells = dims.getJsonObject(dim);
        for (String value : cells.fieldNames()) {
          actionRows(h, dim + "=" + value, cells.getJsonObject(value).getJsonObject("actions"));
        }
      }
      h.append("</table>\n");
      countTable(h, "category", p.getJsonObject("categories"));
      JsonObject offsets = p.getJsonObject("cut_offsets");
      for (String span : offsets.fieldNames()) {
        countTable(h, "cut offset in " + span, offsets.getJsonObject(span));
      }
      countTable(h, "added TTFT", p.getJsonObject("added_ttft_ms"));
      countTable(h, "served action | trial action", p.getJsonObject("disagreement"));
    }
    return h.append("</section>\n").toString();
  }

  private static void actionRows(StringBuilder h, String scope, JsonObject actions) {
    boolean first = true;
    for (String action : actions.fieldNames()) {
      JsonObject a = actions.getJsonObject(action);
      h.append("<tr><td class=\"l\">").append(first ? esc(scope) : "").append("</td><td class=\"l\">")
          .append(esc(action)).append("</td><td>").append(a.getLong("count")).append("</td><td>")
          .append(String.format(java.util.Locale.ROOT, "%.1f%%", 100 * a.getDouble("share")))
          .append("</td><td>").append(String.format(java.util.Locale.ROOT, "%.1f%% &ndash; %.1f%%",
              100 * a.getDouble("low"), 100 * a.getDouble("high")))
          .append("</td></tr>\n");
      first = false;
    }
  }

  private static void countTable(StringBuilder h, String title, JsonObject counts) {
    if (counts == null || counts.isEmpty()) {
      return;
    }
    h.append("<table><tr><th class=\"l\">").append(esc(title)).append("</th><th>requests</th></tr>\n");
    for (String k : counts.fieldNames()) {
      h.append("<tr><td class=\"l\">").append(esc(k)).append("</td><td>")
          .append(counts.getValue(k)).append("</td></tr>\n");
    }
    h.append("</table>\n");
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static void appendActions(StringBuilder sb, String indent, JsonObject actions) {
    for (String action : actions.fieldNames()) {
      JsonObject a = actions.getJsonObject(action);
      sb.append(String.format("%s%-20s %8d  %5.1f%%  [%5.1f%%, %5.1f%%]%n", indent, action,
          a.getLong("count"), 100 * a.getDouble("share"), 100 * a.getDouble("low"),
          100 * a.getDouble("high")));
    }
  }
}
