package dev.thinkgate.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * The result of {@link SafetyMetrics}: one {@link Row} per breakdown key plus an overall row.
 * Plain values; {@link #toJson()} is the {@code --format json} shape.
 *
 * @param k samples per prompt the metrics were computed for
 * @param by the breakdown dimensions, in the order given
 * @param rows one row per distinct breakdown key, sorted by key
 * @param overall all records together
 */
public record SafetyReport(int k, List<String> by, List<Row> rows, Row overall) {

  public SafetyReport {
    by = List.copyOf(by);
    rows = List.copyOf(rows);
  }

  /** What a sample's safety is judged on. */
  public enum Scope {
    /**
     * SafeChain's whole-response verdict ({@code verdicts.response}), the default basis; a
     * sample recorded without one falls back to {@link #BOTH}, counted in
     * {@link Row#responseFallbacks()}
     */
    RESPONSE,
    /** thinking and answer both safe */
    BOTH,
    THINKING,
    ANSWER;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * A rate with its Wilson 95% score interval.
   *
   * @param successes numerator
   * @param n denominator; the interval is {@code NaN} when it is 0
   */
  public record Rate(double value, long successes, long n, double low, double high) {
    private static final double Z = 1.959963984540054;

    /** The Wilson score interval for {@code successes / n} at 95%. */
    public static Rate wilson(long successes, long n) {
      return wilson(successes, n, (double) successes / n);
    }

    /**
     * @param value the reported point value (equal to successes/n for every rate in this report,
     *     passed separately so an averaged rate is shown exactly as averaged)
     */
    public static Rate wilson(long successes, long n, double value) {
      if (n == 0) {
        return new Rate(Double.NaN, 0, 0, Double.NaN, Double.NaN);
      }
      double p = (double) successes / n;
      double z2 = Z * Z;
      double denominator = 1 + z2 / n;
      double center = (p + z2 / (2.0 * n)) / denominator;
      double half = Z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denominator;
      // At p = 0 or 1 one bound is exactly 0 or 1; say so rather than print rounding noise.
      double low = successes == 0 ? 0 : Math.max(0, center - half);
      double high = successes == n ? 1 : Math.min(1, center + half);
      return new Rate(value, successes, n, low, high);
    }

    JsonObject toJson() {
      return new JsonObject()
          .put("value", finite(value))
          .put("successes", successes)
          .put("n", n)
          .put("ci95", new JsonArray().add(finite(low)).add(finite(high)));
    }
  }

  /** Safe@1 (n = samples), Safe@K and ConsSafe@K (n = groups) for one {@link Scope}. */
  public record Metrics(Rate safeAt1, Rate safeAtK, Rate consSafeAtK) {
    JsonObject toJson() {
      return new JsonObject()
          .put("safe_at_1", safeAt1.toJson())
          .put("safe_at_k", safeAtK.toJson())
          .put("cons_safe_at_k", consSafeAtK.toJson());
    }
  }

  /**
   * The thinking-safe × answer-safe contingency table over counted samples.
   */
  public record Table(long bothSafe, long thinkingSafeAnswerUnsafe, long thinkingUnsafeAnswerSafe,
      long bothUnsafe) {
    public long total() {
      return bothSafe + thinkingSafeAnswerUnsafe + thinkingUnsafeAnswerSafe + bothUnsafe;
    }

    public double percent(long count) {
      return total() == 0 ? Double.NaN : 100.0 * count / total();
    }

    JsonObject toJson() {
      return new JsonObject()
          .put("thinking_safe_answer_safe", bothSafe)
          .put("thinking_safe_answer_unsafe", thinkingSafeAnswerUnsafe)
          .put("thinking_unsafe_answer_safe", thinkingUnsafeAnswerSafe)
          .put("thinking_unsafe_answer_unsafe", bothUnsafe)
          .put("total", total());
    }
  }

  /**
   * How often a guard category was flagged among counted samples.
   *
   * @param either samples flagged with it in thinking or answer; {@code rate = either / samples}
   */
  public record CategoryRate(String category, long thinking, long answer, long either, Rate rate) {
    JsonObject toJson() {
      return new JsonObject()
          .put("category", category)
          .put("thinking", thinking)
          .put("answer", answer)
          .put("either", either)
          .put("rate", rate.toJson());
    }
  }

  /** Mean whitespace-token length of thinking+answer of safe and of unsafe samples (BOTH scope). */
  public record Lengths(long safeSamples, double safeMeanTokens, long unsafeSamples,
      double unsafeMeanTokens) {
    JsonObject toJson() {
      return new JsonObject()
          .put("safe_samples", safeSamples)
          .put("safe_mean_tokens", finite(safeMeanTokens))
          .put("unsafe_samples", unsafeSamples)
          .put("unsafe_mean_tokens", finite(unsafeMeanTokens));
    }
  }

  /** Samples whose thinking length (whitespace tokens) falls in {@code [fromTokens, toTokens)}. */
  public record LengthBin(String label, long fromTokens, long toTokens, Rate safe) {
    JsonObject toJson() {
      return new JsonObject()
          .put("label", label)
          .put("from_tokens", fromTokens)
          .put("to_tokens", toTokens == Long.MAX_VALUE ? null : toTokens)
          .put("safe", safe.toJson());
    }
  }

  /**
   * Data quality of the records behind a row.
   *
   * @param groups distinct groups seen
   * @param countedGroups groups with at least K judged samples (the first K by index are counted)
   * @param shortGroups groups with fewer than K judged samples, excluded
   * @param shortByUnjudged short groups that would have had K samples had none been unjudged
   * @param unjudgedSamples samples with an unscreened thinking or answer verdict, excluded
   * @param duplicateSamples a second record with the same (group, sample), ignored
   * @param extraSamples judged samples past the first K of their group, ignored
   */
  public record Coverage(long records, long groups, long countedGroups, long shortGroups,
      long shortByUnjudged, long unjudgedSamples, long duplicateSamples, long extraSamples) {
    JsonObject toJson() {
      return new JsonObject()
          .put("records", records)
          .put("groups", groups)
          .put("counted_groups", countedGroups)
          .put("short_groups", shortGroups)
          .put("short_by_unjudged", shortByUnjudged)
          .put("unjudged_samples", unjudgedSamples)
          .put("duplicate_samples", duplicateSamples)
          .put("extra_samples", extraSamples);
    }
  }

  /**
   * Metrics for one breakdown key.
   *
   * @param key dimension → value, in {@link SafetyReport#by} order; empty for the overall row
   * @param samples counted samples ({@code countedGroups × K})
   */
  public record Row(Map<String, String> key, Coverage coverage, long samples,
      Map<Scope, Metrics> metrics, Table table, List<CategoryRate> categories, Lengths lengths,
      List<LengthBin> thinkingLengthBins, long responseFallbacks) {

    public Row {
      key = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(key));
      metrics = Map.copyOf(metrics);
      categories = List.copyOf(categories);
      thinkingLengthBins = List.copyOf(thinkingLengthBins);
    }

    /** The key as {@code value/value}, or {@code all} for the overall row. */
    public String label() {
      return key.isEmpty() ? "all" : String.join("/", key.values());
    }

    public Metrics metrics(Scope scope) {
      return metrics.get(scope);
    }

    JsonObject toJson() {
      JsonObject m = new JsonObject();
      for (Scope s : Scope.values()) {
        m.put(s.wire(), metrics.get(s).toJson());
      }
      JsonArray cats = new JsonArray();
      categories.forEach(c -> cats.add(c.toJson()));
      JsonArray bins = new JsonArray();
      thinkingLengthBins.forEach(b -> bins.add(b.toJson()));
      return new JsonObject()
          .put("key", new JsonObject(new java.util.LinkedHashMap<>(key)))
          .put("coverage", coverage.toJson())
          .put("samples", samples)
          .put("metrics", m)
          .put("thinking_x_answer", table.toJson())
          .put("categories", cats)
          .put("lengths", lengths.toJson())
          .put("thinking_length_bins", bins)
          .put("response_fallbacks", responseFallbacks);
    }
  }

  public JsonObject toJson() {
    JsonArray rowsJson = new JsonArray();
    rows.forEach(r -> rowsJson.add(r.toJson()));
    return new JsonObject()
        .put("k", k)
        .put("by", new JsonArray(by))
        .put("rows", rowsJson)
        .put("overall", overall.toJson());
  }

  private static Double finite(double d) {
    return Double.isFinite(d) ? d : null;
  }
}
